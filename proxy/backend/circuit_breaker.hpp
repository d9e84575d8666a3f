// A circuit breaker for one backend endpoint (issue 6): a sliding window of the last
// `window` calls; when the window is full and at least `failure_rate` of it failed, the
// breaker opens and calls fail fast for `open_for`; then it lets `half_open_probes` trial
// calls through at a time: one failure opens it again, that many successes close it.
// Pure (time is passed in) and single-threaded: each worker keeps its own per endpoint, so
// the query path shares no lock.
#pragma once

#include <chrono>
#include <cstdint>

namespace shardgate::backend {

struct breaker_settings {
  std::uint32_t window = 10;  // calls (1-64)
  double failure_rate = 0.5;  // open at this share of failures in a full window
  std::chrono::milliseconds open_for{10000};
  std::uint32_t half_open_probes = 3;
};

enum class breaker_state : std::uint8_t { closed, open, half_open };
const char* breaker_state_name(breaker_state s) noexcept;

class circuit_breaker {
 public:
  using clock = std::chrono::steady_clock;
  explicit circuit_breaker(breaker_settings settings = {});

  // Whether a call may go ahead now. In half-open, a true answer takes one probe slot,
  // given back by on_success / on_failure (or, if neither comes, reclaimed after
  // open_for).
  bool allow(clock::time_point now);
  void on_success();
  void on_failure(clock::time_point now);

  breaker_state state() const noexcept { return state_; }
  // Open: when the next trial calls are let through.
  clock::time_point retry_at() const noexcept { return open_until_; }
  // Failures among the calls in the window (for error messages and metrics).
  std::uint32_t failures_in_window() const noexcept { return failures_; }
  std::uint32_t calls_in_window() const noexcept { return count_; }
  const breaker_settings& settings() const noexcept { return settings_; }
  // Times it opened (closed or half-open -> open).
  std::uint64_t trips() const noexcept { return trips_; }

 private:
  void record(bool failed);
  void trip(clock::time_point now);
  void close();

  breaker_settings settings_;
  breaker_state state_ = breaker_state::closed;
  std::uint64_t outcomes_ = 0;  // bit i: call i of the ring failed
  std::uint32_t next_ = 0;      // ring position of the next call
  std::uint32_t count_ = 0;     // calls in the window (<= window)
  std::uint32_t failures_ = 0;
  clock::time_point open_until_{};
  std::uint32_t probes_out_ = 0;  // half-open: trial calls not yet reported
  std::uint32_t probe_successes_ = 0;
  clock::time_point last_probe_{};
  std::uint64_t trips_ = 0;
};

}  // namespace shardgate::backend
