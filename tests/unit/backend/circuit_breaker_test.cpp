// The per-endpoint circuit breaker's state machine, with the brief's defaults (window 10,
// open at 50% failures, 10 s open, 3 half-open probes) and time passed in.
#include "backend/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace shardgate::backend {
namespace {

using namespace std::chrono_literals;
using clock_type = circuit_breaker::clock;

class breaker_test : public ::testing::Test {
 protected:
  clock_type::time_point t0 = clock_type::time_point{} + 1000s;
  circuit_breaker b;  // defaults

  void calls(int successes, int failures, clock_type::time_point at) {
    for (int i = 0; i < successes; ++i) {
      ASSERT_TRUE(b.allow(at));
      b.on_success();
    }
    for (int i = 0; i < failures; ++i) {
      ASSERT_TRUE(b.allow(at));
      b.on_failure(at);
    }
  }
};

TEST_F(breaker_test, defaults_match_the_brief) {
  EXPECT_EQ(b.settings().window, 10u);
  EXPECT_DOUBLE_EQ(b.settings().failure_rate, 0.5);
  EXPECT_EQ(b.settings().open_for, 10s);
  EXPECT_EQ(b.settings().half_open_probes, 3u);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST_F(breaker_test, stays_closed_until_the_window_is_full) {
  calls(0, 9, t0);  // 9 of 9 failed, but the window holds 10 calls
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.failures_in_window(), 9u);
  calls(0, 1, t0);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.trips(), 1u);
}

TEST_F(breaker_test, opens_at_half_failures_of_a_full_window) {
  calls(6, 4, t0);  // 4 of 10
  EXPECT_EQ(b.state(), breaker_state::closed);
  calls(0, 1, t0);  // the oldest success leaves: 5 of 10
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_FALSE(b.allow(t0));
  EXPECT_FALSE(b.allow(t0 + 9999ms));
  EXPECT_EQ(b.retry_at(), t0 + 10s);
}

TEST_F(breaker_test, old_failures_slide_out_of_the_window) {
  calls(0, 4, t0);
  calls(10, 0, t0);  // the 4 failures left the window
  EXPECT_EQ(b.failures_in_window(), 0u);
  calls(0, 4, t0);
  EXPECT_EQ(b.state(), breaker_state::closed);  // 4 of 10 again
}

TEST_F(breaker_test, half_open_lets_three_probes_through_and_closes_after_three_successes) {
  calls(0, 10, t0);
  ASSERT_EQ(b.state(), breaker_state::open);
  const auto later = t0 + 10s;
  EXPECT_TRUE(b.allow(later));
  EXPECT_EQ(b.state(), breaker_state::half_open);
  EXPECT_TRUE(b.allow(later));
  EXPECT_TRUE(b.allow(later));
  EXPECT_FALSE(b.allow(later));  // three probes out
  b.on_success();
  EXPECT_EQ(b.state(), breaker_state::half_open);
  EXPECT_TRUE(b.allow(later));  // a slot came back
  b.on_success();
  b.on_success();
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.calls_in_window(), 0u);  // a fresh window
  calls(0, 4, later);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST_F(breaker_test, a_failed_probe_opens_again) {
  calls(0, 10, t0);
  const auto later = t0 + 10s;
  ASSERT_TRUE(b.allow(later));
  b.on_success();
  ASSERT_TRUE(b.allow(later));
  b.on_failure(later);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.trips(), 2u);
  EXPECT_FALSE(b.allow(later + 9s));
  EXPECT_EQ(b.retry_at(), later + 10s);
  EXPECT_TRUE(b.allow(later + 10s));
}

TEST_F(breaker_test, probes_that_never_report_stop_blocking_after_open_for) {
  calls(0, 10, t0);
  const auto later = t0 + 10s;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.allow(later));
  EXPECT_FALSE(b.allow(later + 5s));
  EXPECT_TRUE(b.allow(later + 10s));  // the lost probes are reclaimed
}

TEST_F(breaker_test, late_reports_from_before_it_opened_are_ignored) {
  calls(0, 10, t0);
  b.on_failure(t0);  // a call let through before the trip
  b.on_success();
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.trips(), 1u);
}

TEST(breaker_settings_test, custom_window_and_rate) {
  circuit_breaker b({4, 0.75, std::chrono::milliseconds(100), 1});
  const auto t = circuit_breaker::clock::time_point{} + std::chrono::seconds(5);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.allow(t));
    b.on_failure(t);
  }
  ASSERT_TRUE(b.allow(t));
  b.on_success();
  ASSERT_TRUE(b.allow(t));
  b.on_failure(t);  // 3 of 4 = 75%
  EXPECT_EQ(b.state(), breaker_state::open);
  ASSERT_TRUE(b.allow(t + std::chrono::milliseconds(100)));
  EXPECT_FALSE(b.allow(t + std::chrono::milliseconds(100)));  // one probe
  b.on_success();
  EXPECT_EQ(b.state(), breaker_state::closed);
  // Out-of-range settings are clamped.
  circuit_breaker wide({1000, 2.0, std::chrono::milliseconds(1), 0});
  EXPECT_EQ(wide.settings().window, 64u);
  EXPECT_DOUBLE_EQ(wide.settings().failure_rate, 1.0);
  EXPECT_EQ(wide.settings().half_open_probes, 1u);
}

}  // namespace
}  // namespace shardgate::backend
