// Token buckets and the client limits registry (proxy/limits/).
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "limits/limits.hpp"
#include "limits/token_bucket.hpp"

namespace shardgate::limits {
namespace {

constexpr std::int64_t ms = 1'000'000;  // ns

TEST(TokenBucket, BurstThenOneTokenPerInterval) {
  token_bucket b(100, 3);  // 100/s: one token per 10 ms
  const std::int64_t t0 = 1'000 * ms;
  EXPECT_EQ(b.take_at(t0, 0), 0);
  EXPECT_EQ(b.take_at(t0, 0), 0);
  EXPECT_EQ(b.take_at(t0, 0), 0);
  EXPECT_EQ(b.take_at(t0, 0), token_bucket::refused);  // the burst is spent
  EXPECT_EQ(b.take_at(t0 + 5 * ms, 0), token_bucket::refused);
  EXPECT_EQ(b.take_at(t0 + 10 * ms, 0), 0);
  EXPECT_EQ(b.take_at(t0 + 10 * ms, 0), token_bucket::refused);
  // Idle for a long time: at most `burst` at once again.
  const std::int64_t later = t0 + 10'000 * ms;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.take_at(later, 0), 0) << i;
  EXPECT_EQ(b.take_at(later, 0), token_bucket::refused);
}

TEST(TokenBucket, WaitingReservesFutureTokensInOrder) {
  token_bucket b(10, 1);  // one per 100 ms
  const std::int64_t t0 = 5'000 * ms;
  EXPECT_EQ(b.take_at(t0, 1'000 * ms), 0);
  EXPECT_EQ(b.take_at(t0, 1'000 * ms), 100 * ms);
  EXPECT_EQ(b.take_at(t0, 1'000 * ms), 200 * ms);
  EXPECT_EQ(b.take_at(t0, 250 * ms), token_bucket::refused);
  // The refusal took nothing: the next one that may wait 300 ms gets the 300 ms slot.
  EXPECT_EQ(b.take_at(t0, 300 * ms), 300 * ms);
}

TEST(TokenBucket, SustainedRateOverManyTakes) {
  token_bucket b(1000, 10);
  std::int64_t now = 0;
  int granted = 0;
  // One attempt every 0.1 ms for 2 s: 10 from the burst + 1000/s.
  for (int i = 0; i < 20000; ++i, now += ms / 10) granted += b.take_at(now, 0) == 0;
  EXPECT_NEAR(granted, 2010, 2);
}

TEST(TokenBucket, UnlimitedAndReconfigured) {
  token_bucket b;
  EXPECT_FALSE(b.limited());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(b.take_at(0, 0), 0);
  b.configure(1, 1);
  EXPECT_TRUE(b.limited());
  EXPECT_EQ(b.take_at(10'000 * ms, 0), 0);
  EXPECT_EQ(b.take_at(10'000 * ms, 0), token_bucket::refused);
  b.configure(0, 0);
  EXPECT_EQ(b.take_at(10'000 * ms, 0), 0);
}

config::config two_users() {
  config::config cfg;
  config::user_config app;
  app.name = "app";
  app.rate_limit = {1, 2, 0};
  app.client_ip_rate_limit = {1, 1, 0};
  app.max_connections = 2;
  config::user_config free_user;
  free_user.name = "free";
  cfg.users = {app, free_user};
  cfg.listen.failed_logins = {3, 1000, 8000, 60};  // threshold, min, max delay, window
  cfg.listen.connect_errors = {3, 60, 60};         // max_errors, window, block
  return cfg;
}

TEST(LimitsRegistry, StatementsTakeFromTheUserAndTheAddress) {
  registry r(two_users());
  user_limits* app = r.user("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(r.user("nobody"), nullptr);
  auto ip1 = r.client_ip(*app, "10.0.0.1");
  auto ip2 = r.client_ip(*app, "10.0.0.2");
  ASSERT_TRUE(ip1 && ip2);
  EXPECT_EQ(r.client_ip(*app, "10.0.0.1"), ip1);  // shared by the address's sessions
  // Address 1 has a burst of 1: its second statement is refused by the address bucket.
  EXPECT_EQ(registry::admit_statement(*app, ip1.get()).what, admission::verdict::go);
  const admission second = registry::admit_statement(*app, ip1.get());
  EXPECT_EQ(second.what, admission::verdict::refuse);
  EXPECT_EQ(second.limit, limit_kind::client_ip_rate);
  // Address 2 has its own bucket, but the user's (burst 2) has one token left.
  EXPECT_EQ(registry::admit_statement(*app, ip2.get()).what, admission::verdict::go);
  auto ip3 = r.client_ip(*app, "10.0.0.3");
  const admission third = registry::admit_statement(*app, ip3.get());
  EXPECT_EQ(third.what, admission::verdict::refuse);
  EXPECT_EQ(third.limit, limit_kind::user_rate);
  EXPECT_EQ(app->counter(limit_kind::user_rate).rejected.load(), 1u);
  EXPECT_EQ(app->counter(limit_kind::client_ip_rate).rejected.load(), 1u);
  // A user without limits: no buckets.
  user_limits* free_user = r.user("free");
  EXPECT_EQ(r.client_ip(*free_user, "10.0.0.1"), nullptr);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(registry::admit_statement(*free_user, nullptr).what, admission::verdict::go);
}

TEST(LimitsRegistry, MaxWaitTurnsARefusalIntoAWait) {
  config::config cfg = two_users();
  cfg.users[0].rate_limit = {10, 1, 500};
  cfg.users[0].client_ip_rate_limit = {};
  registry r(cfg);
  user_limits& app = *r.user("app");
  EXPECT_EQ(registry::admit_statement(app, nullptr).what, admission::verdict::go);
  const admission a = registry::admit_statement(app, nullptr);
  EXPECT_EQ(a.what, admission::verdict::wait);
  EXPECT_GT(a.wait.count(), 90 * ms);
  EXPECT_LE(a.wait.count(), 100 * ms);
  EXPECT_EQ(app.counter(limit_kind::user_rate).delayed.load(), 1u);
}

TEST(LimitsRegistry, ReloadChangesLimitsInPlace) {
  config::config cfg = two_users();
  registry r(cfg);
  user_limits* app = r.user("app");
  auto ip = r.client_ip(*app, "10.0.0.1");
  EXPECT_EQ(registry::admit_statement(*app, ip.get()).what, admission::verdict::go);
  EXPECT_EQ(registry::admit_statement(*app, ip.get()).what, admission::verdict::refuse);
  cfg.users[0].rate_limit = {};
  cfg.users[0].client_ip_rate_limit = {1e9, 1000, 0};
  r.update(cfg);
  EXPECT_EQ(r.user("app"), app);  // same object: sessions keep their pointer
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(registry::admit_statement(*app, ip.get()).what, admission::verdict::go) << i;
  // A user the new file drops has no limits left (its sessions go on).
  cfg.users.erase(cfg.users.begin());
  r.update(cfg);
  EXPECT_FALSE(app->queries.limited());
  EXPECT_EQ(app->max_connections.load(), 0u);
}

TEST(LimitsRegistry, ConnectionLimits) {
  config::config cfg = two_users();
  cfg.users[0].connection_rate_limit = {0.001, 3, 0};  // 3 logins, then one per 1000 s
  registry r(cfg);
  user_limits& app = *r.user("app");
  EXPECT_EQ(registry::admit_connection(app).what, admission::verdict::go);
  EXPECT_EQ(registry::admit_connection(app).what, admission::verdict::go);
  const admission third = registry::admit_connection(app);  // (no login token taken)
  EXPECT_EQ(third.what, admission::verdict::refuse);
  EXPECT_EQ(third.limit, limit_kind::connections);
  EXPECT_EQ(app.connected.load(), 2u);
  registry::release_connection(app);
  EXPECT_EQ(registry::admit_connection(app).what, admission::verdict::go);
  registry::release_connection(app);
  registry::release_connection(app);
  const admission rate = registry::admit_connection(app);
  EXPECT_EQ(rate.what, admission::verdict::refuse);
  EXPECT_EQ(rate.limit, limit_kind::connection_rate);
  EXPECT_EQ(app.connected.load(), 0u);
}

using std::chrono::milliseconds;
using std::chrono::seconds;

// A registry whose login-throttling tables see a clock the test moves.
struct throttled {
  explicit throttled(const config::config& cfg) : r(cfg) {
    r.set_clock([this] { return now; });
  }
  registry r;
  registry::time_point now = registry::time_point(std::chrono::hours(1000));
};

TEST(LoginThrottling, DelayStartsAtTheThresholdAndDoublesUpToTheMaximum) {
  throttled t(two_users());
  registry& r = t.r;
  const std::vector<std::int64_t> want = {0, 0, 0, 1000, 2000, 4000, 8000, 8000, 8000};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(want[i])) << "attempt " << i + 1;
    r.login_failed("app", "10.0.0.9");
    t.now += seconds(1);
  }
  EXPECT_EQ(r.failed_logins(), want.size());
  EXPECT_EQ(r.delayed_logins(), 6u);     // the attempts that waited
  EXPECT_EQ(r.blocked_addresses(), 0u);  // failed logins never block an address
  EXPECT_EQ(r.blocked_for("10.0.0.9"), seconds(0));
}

TEST(LoginThrottling, OnlyTheFailingPairIsSlowed) {
  throttled t(two_users());
  registry& r = t.r;
  for (int i = 0; i < 5; ++i) r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(4000));
  EXPECT_EQ(r.login_delay("free", "10.0.0.9"), milliseconds(0));  // another user, same address
  EXPECT_EQ(r.login_delay("app", "10.0.0.8"), milliseconds(0));   // same user, another address
  EXPECT_EQ(r.login_delay("App", "10.0.0.9"), milliseconds(0));   // names are exact
}

TEST(LoginThrottling, SuccessForgetsThePairsFailures) {
  throttled t(two_users());
  registry& r = t.r;
  for (int i = 0; i < 4; ++i) r.login_failed("app", "10.0.0.9");
  r.login_failed("free", "10.0.0.9");
  for (int i = 0; i < 3; ++i) r.login_failed("free", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(2000));
  r.login_succeeded("app", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(0));
  EXPECT_EQ(r.login_delay("free", "10.0.0.9"), milliseconds(2000));  // not another user's
  // Counting starts again: the threshold applies afresh.
  for (int i = 0; i < 3; ++i) r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(1000));
}

TEST(LoginThrottling, FailuresAreForgottenAWindowAfterTheLastOne) {
  throttled t(two_users());  // window_s 60
  registry& r = t.r;
  for (int i = 0; i < 3; ++i) {
    r.login_failed("app", "10.0.0.9");
    t.now += seconds(50);  // each within the window of the one before
  }
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(1000));
  t.now += seconds(11);  // 61 s after the last failure
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(0));
  r.login_failed("app", "10.0.0.9");  // a fresh count of 1
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(0));
}

TEST(LoginThrottling, OffAndReloaded) {
  config::config cfg = two_users();
  cfg.listen.failed_logins.threshold = 0;
  throttled t(cfg);
  registry& r = t.r;
  for (int i = 0; i < 100; ++i) r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(0));
  EXPECT_EQ(r.failed_logins(), 100u);  // still counted for the metrics
  EXPECT_EQ(r.tracked_pairs(), 0u);    // but nothing is kept
  // A reload turns it on with other delays.
  cfg.listen.failed_logins = {1, 300, 500, 60};
  r.update(cfg);
  r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(300));
  r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(r.login_delay("app", "10.0.0.9"), milliseconds(500));  // 600 capped
}

TEST(LoginThrottling, HugeFailureCountsStayAtTheMaximum) {
  config::config cfg = two_users();
  cfg.listen.failed_logins = {1, 1, 3'600'000, 600};
  throttled t(cfg);
  for (int i = 0; i < 200; ++i) t.r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(t.r.login_delay("app", "10.0.0.9"), milliseconds(3'600'000));
}

TEST(LoginThrottling, TablesAreBounded) {
  throttled t(two_users());
  registry& r = t.r;
  r.set_max_tracked(1000);
  for (int i = 0; i < 5000; ++i) {
    r.login_failed("user" + std::to_string(i), "10.0.0.9");
    r.connect_error("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250));
    t.now += milliseconds(1);
    ASSERT_LE(r.tracked_pairs(), 1000u) << i;
    ASSERT_LE(r.tracked_addresses(), 1000u) << i;
  }
  // The newest are kept, the oldest went: the last pair still counts, the first is gone.
  for (int i = 0; i < 2; ++i) r.login_failed("user4999", "10.0.0.9");
  EXPECT_EQ(r.login_delay("user4999", "10.0.0.9"), milliseconds(1000));
  for (int i = 0; i < 2; ++i) r.login_failed("user0", "10.0.0.9");
  EXPECT_EQ(r.login_delay("user0", "10.0.0.9"), milliseconds(0));
}

TEST(ConnectErrors, BlockTheAddressUntilTheBlockEnds) {
  throttled t(two_users());  // 3 errors within 60 s block for 60 s
  registry& r = t.r;
  EXPECT_EQ(r.blocked_for("10.0.0.9"), seconds(0));
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  EXPECT_TRUE(r.connect_error("10.0.0.9"));   // the 3rd blocks
  EXPECT_FALSE(r.connect_error("10.0.0.9"));  // (blocked already)
  EXPECT_EQ(r.blocked_for("10.0.0.9"), seconds(60));
  EXPECT_EQ(r.blocked_for("10.0.0.8"), seconds(0));
  EXPECT_EQ(r.blocked_addresses(), 1u);
  t.now += milliseconds(30'500);
  EXPECT_EQ(r.blocked_for("10.0.0.9"), seconds(30));  // rounded up
  r.login_succeeded("app", "10.0.0.9");               // does not lift a block
  EXPECT_GT(r.blocked_for("10.0.0.9"), seconds(0));
  t.now += seconds(30);
  EXPECT_EQ(r.blocked_for("10.0.0.9"), seconds(0));  // over
  EXPECT_EQ(r.blocked_addresses(), 0u);
  EXPECT_EQ(r.blocked_logins(), 3u);  // the blocked_for calls that answered "blocked"
  // Counting starts again after the block.
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
}

TEST(ConnectErrors, CountedWithinTheWindowAndResetByALogin) {
  throttled t(two_users());
  registry& r = t.r;
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  t.now += seconds(61);  // the window is over: a fresh count
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  r.login_succeeded("free", "10.0.0.9");  // any user's login resets the address
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  EXPECT_FALSE(r.connect_error("10.0.0.9"));
  EXPECT_TRUE(r.connect_error("10.0.0.9"));
}

TEST(ConnectErrors, FailedLoginsDoNotCountAndOffMeansOff) {
  config::config cfg = two_users();
  throttled t(cfg);
  for (int i = 0; i < 50; ++i) t.r.login_failed("app", "10.0.0.9");
  EXPECT_EQ(t.r.blocked_for("10.0.0.9"), seconds(0));
  for (int i = 0; i < 3; ++i) t.r.connect_error("10.0.0.7");
  EXPECT_GT(t.r.blocked_for("10.0.0.7"), seconds(0));
  cfg.listen.connect_errors.max_errors = 0;  // a reload turns it off: blocks are lifted
  t.r.update(cfg);
  EXPECT_EQ(t.r.blocked_for("10.0.0.7"), seconds(0));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.r.connect_error("10.0.0.6"));
}

}  // namespace
}  // namespace shardgate::limits
