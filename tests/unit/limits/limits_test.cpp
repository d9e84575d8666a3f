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
  cfg.listen.failed_logins = {3, 60, 60};
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

TEST(LimitsRegistry, FailedLoginsBlockTheAddress) {
  registry r(two_users());
  EXPECT_EQ(r.blocked_for("10.0.0.9"), 0u);
  EXPECT_FALSE(r.login_failed("10.0.0.9"));
  EXPECT_FALSE(r.login_failed("10.0.0.9"));
  r.login_succeeded("10.0.0.9");  // a success forgets earlier failures
  EXPECT_FALSE(r.login_failed("10.0.0.9"));
  EXPECT_FALSE(r.login_failed("10.0.0.9"));
  EXPECT_TRUE(r.login_failed("10.0.0.9"));  // the 3rd in a row
  EXPECT_GT(r.blocked_for("10.0.0.9"), 58u);
  EXPECT_EQ(r.blocked_for("10.0.0.8"), 0u);
  EXPECT_EQ(r.blocked_addresses(), 1u);
  r.login_succeeded("10.0.0.9");  // (cannot happen while blocked; does not unblock)
  EXPECT_GT(r.blocked_for("10.0.0.9"), 0u);
  EXPECT_EQ(r.failed_logins(), 5u);
  EXPECT_EQ(r.blocked_logins(), 2u);
}

TEST(LimitsRegistry, FailedLoginThrottlingOff) {
  config::config cfg = two_users();
  cfg.listen.failed_logins.max_failures = 0;
  registry r(cfg);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(r.login_failed("10.0.0.9"));
  EXPECT_EQ(r.blocked_for("10.0.0.9"), 0u);
}

}  // namespace
}  // namespace shardgate::limits
