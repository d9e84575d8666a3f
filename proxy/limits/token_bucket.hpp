// A lock-free token bucket for rate limits shared by many threads (one user's connections
// live on every worker): the generic cell rate algorithm keeps one atomic "theoretical
// arrival time" instead of a token count, so taking a token is one compare-and-swap and
// reserving one in the future (a statement that may wait) is the same operation.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace shardgate::limits {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::int64_t refused = -1;

  token_bucket() = default;
  token_bucket(double per_second, std::uint32_t burst) { configure(per_second, burst); }

  // Any thread; takes effect for the next token. Tokens already owed (taken ahead of the
  // old rate) are owed at the new rate, so raising a limit frees a throttled client at once
  // and lowering one does not hand out a fresh burst. per_second <= 0: unlimited.
  void configure(double per_second, std::uint32_t burst) noexcept {
    const std::int64_t old_interval = interval_ns_.load(std::memory_order_relaxed);
    if (per_second <= 0) {
      interval_ns_.store(0, std::memory_order_relaxed);
      return;
    }
    const double interval = 1e9 / per_second;
    const auto t = static_cast<std::int64_t>(std::max(1.0, interval));
    const std::int64_t now = now_ns();
    const std::int64_t tat = tat_.load(std::memory_order_relaxed);
    if (old_interval == 0 || tat <= now) {
      tat_.store(std::min(tat, now), std::memory_order_relaxed);
    } else {
      const double owed = static_cast<double>(tat - now) / static_cast<double>(old_interval);
      tat_.store(now + static_cast<std::int64_t>(owed * static_cast<double>(t)),
                 std::memory_order_relaxed);
    }
    interval_ns_.store(t, std::memory_order_relaxed);
    // (Saturated: a tiny rate with a huge burst must not overflow into a negative one.)
    const double tolerance =
        static_cast<double>(t) * static_cast<double>(std::max<std::uint32_t>(burst, 1) - 1);
    tolerance_ns_.store(tolerance >= 4e18 ? std::int64_t{4'000'000'000'000'000'000}
                                          : static_cast<std::int64_t>(tolerance),
                        std::memory_order_relaxed);
  }
  bool limited() const noexcept { return interval_ns_.load(std::memory_order_relaxed) != 0; }

  // Takes one token now (plus `after_ns`: the caller goes only that much later anyway):
  // 0 = go now; > 0 = a token is reserved that many nanoseconds ahead (the caller waits
  // that long); `refused` = it would have to wait more than `max_wait_ns` (nothing is
  // taken). The clock is read after the bucket's state, inside the retry loop: a thread
  // descheduled between reading the clock and taking would otherwise judge the bucket by a
  // stale time and see tokens others took since as a debt.
  std::int64_t take(std::int64_t max_wait_ns = 0, std::int64_t after_ns = 0) noexcept {
    return take_impl([after_ns] { return now_ns() + after_ns; }, max_wait_ns);
  }
  // The same at a given time (tests).
  std::int64_t take_at(std::int64_t now, std::int64_t max_wait_ns) noexcept {
    return take_impl([now] { return now; }, max_wait_ns);
  }

  static std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch())
        .count();
  }

 private:
  template <typename Clock>
  std::int64_t take_impl(Clock clock, std::int64_t max_wait_ns) noexcept {
    const std::int64_t interval = interval_ns_.load(std::memory_order_relaxed);
    if (interval == 0) return 0;
    const std::int64_t tolerance = tolerance_ns_.load(std::memory_order_relaxed);
    std::int64_t tat = tat_.load(std::memory_order_acquire);
    for (;;) {
      const std::int64_t now = clock();
      const std::int64_t base = std::max(tat, now);
      const std::int64_t wait = base - now - tolerance;
      if (wait > max_wait_ns) return refused;
      if (tat_.compare_exchange_weak(tat, base + interval, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
        return std::max<std::int64_t>(wait, 0);
    }
  }

  // Own cache line: the bucket is written by every thread that takes from it.
  alignas(64) std::atomic<std::int64_t> tat_{0};
  std::atomic<std::int64_t> interval_ns_{0};
  std::atomic<std::int64_t> tolerance_ns_{0};
};

}  // namespace shardgate::limits
