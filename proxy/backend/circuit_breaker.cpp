#include "backend/circuit_breaker.hpp"

#include <algorithm>
#include <cmath>

namespace shardgate::backend {

const char* breaker_state_name(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
  }
  return "?";
}

circuit_breaker::circuit_breaker(breaker_settings settings) : settings_(settings) {
  settings_.window = std::clamp<std::uint32_t>(settings_.window, 1, 64);
  settings_.half_open_probes = std::max<std::uint32_t>(settings_.half_open_probes, 1);
  settings_.failure_rate = std::clamp(settings_.failure_rate, 0.0, 1.0);
}

bool circuit_breaker::allow(clock::time_point now) {
  switch (state_) {
    case breaker_state::closed:
      return true;
    case breaker_state::open:
      if (now < open_until_) return false;
      state_ = breaker_state::half_open;
      probes_out_ = 0;
      probe_successes_ = 0;
      [[fallthrough]];
    case breaker_state::half_open:
      // A probe that never reported (its caller went away) stops blocking after open_for.
      if (probes_out_ >= settings_.half_open_probes && now - last_probe_ >= settings_.open_for)
        probes_out_ = 0;
      if (probes_out_ >= settings_.half_open_probes) return false;
      ++probes_out_;
      last_probe_ = now;
      return true;
  }
  return true;
}

void circuit_breaker::on_success() {
  if (state_ == breaker_state::half_open) {
    if (probes_out_ > 0) --probes_out_;
    if (++probe_successes_ >= settings_.half_open_probes) close();
    return;
  }
  if (state_ == breaker_state::closed) record(false);
}

void circuit_breaker::on_failure(clock::time_point now) {
  if (state_ == breaker_state::half_open) {
    trip(now);
    return;
  }
  if (state_ != breaker_state::closed) return;  // (a call let through before it opened)
  record(true);
  if (count_ < settings_.window) return;
  const auto threshold =
      static_cast<std::uint32_t>(std::ceil(settings_.failure_rate * settings_.window - 1e-9));
  if (failures_ >= std::max<std::uint32_t>(threshold, 1)) trip(now);
}

void circuit_breaker::record(bool failed) {
  const std::uint64_t bit = std::uint64_t{1} << next_;
  if (count_ == settings_.window) {  // the oldest call leaves the window
    if (outcomes_ & bit) --failures_;
  } else {
    ++count_;
  }
  if (failed) {
    outcomes_ |= bit;
    ++failures_;
  } else {
    outcomes_ &= ~bit;
  }
  next_ = (next_ + 1) % settings_.window;
}

void circuit_breaker::trip(clock::time_point now) {
  state_ = breaker_state::open;
  open_until_ = now + settings_.open_for;
  probes_out_ = 0;
  probe_successes_ = 0;
  ++trips_;
}

void circuit_breaker::close() {
  state_ = breaker_state::closed;
  outcomes_ = 0;
  next_ = 0;
  count_ = 0;
  failures_ = 0;
  probes_out_ = 0;
  probe_successes_ = 0;
}

}  // namespace shardgate::backend
