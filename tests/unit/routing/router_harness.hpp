// Shared by the table-driven router tests: the test configuration (4 clusters s0..s3, a
// table per strategy and two broadcast tables) and check(), which routes each case and compares the
// clusters (or the refusal) and the per-shard rewritten text, and checks what every plan must
// satisfy.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/loader.hpp"
#include "routing/router.hpp"
#include "shape_variants.hpp"

namespace shardgate::routing::test_harness {

inline const char* const sharding_yaml = R"(
users: [{name: app, password: app}]
clusters:
  s0: {writer: 127.0.0.1:1, user: u}
  s1: {writer: 127.0.0.1:2, user: u}
  s2: {writer: 127.0.0.1:3, user: u}
  s3: {writer: 127.0.0.1:4, user: u}
default_cluster: s0
lookups:
  coupons_dir:
    entries: {C1: s1, C2: s2, c3: s3}
schemas:
  shop:
    default_cluster: s0
    tables:
      orders:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: modulo, shards: [s0, s1]}
        generations:
          - {since: 2026-12-01, shards: [s0, s1, s2, s3]}
      order_items: {shard_key: order_no, same_as: orders}
      members:
        shard_key: member_id
        key: integer
        strategy:
          kind: range
          ranges: [{below: 1000, cluster: s0}, {below: 2000, cluster: s1}, {cluster: s2}]
      accounts:
        shard_key: id
        key: integer
        strategy: {kind: hash, function: modulo, shards: [s0, s1, s2, s3]}
        keyless_writes: all_shards
      coupons:
        shard_key: code
        key: string
        strategy: {kind: directory, lookup: coupons_dir}
      events:
        shard_key: day
        key: date
        strategy: {kind: range, ranges: [{below: 2026-01-01, cluster: s3}, {cluster: s2}]}
      tokens:
        shard_key: token
        key: string
        strategy: {kind: hash, function: xxhash64, shards: [s0, s1, s2, s3], buckets: 16}
      # Broadcast: a copy on every cluster the sharded tables use (s0..s3), and on two.
      currencies: {broadcast: true}
      regions: {broadcast: true, clusters: [s2, s1]}
)";

inline std::shared_ptr<const topology> make_topology() {
  auto r = config::load_string(sharding_yaml, "test.yaml");
  if (auto* e = std::get_if<config::load_error>(&r)) {
    ADD_FAILURE() << e->to_string();
    return nullptr;
  }
  return std::make_shared<topology>(std::get<std::shared_ptr<const config::config>>(r));
}

struct route_case {
  const char* sql;
  const char* expect;  // "s1" / "s0,s1" (sorted cluster names) / "refuse:<substring>"
  const char* rewritten_first = nullptr;  // fan-out: the text for the first cluster (by name)
};

inline std::string describe(const route_plan& plan, const config::config& cfg) {
  if (plan.action == route_action::refuse) return "refuse:" + plan.error.message;
  std::vector<std::string> names;
  for (int c : plan.clusters) names.push_back(cfg.clusters[c].name);
  std::sort(names.begin(), names.end());
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// Also checks what every plan must satisfy, whatever the statement.
inline void check_invariants(const route_plan& plan, const config::config& cfg,
                             std::string_view sql) {
  if (plan.action == route_action::refuse) {
    EXPECT_FALSE(plan.error.message.empty()) << sql;
    return;
  }
  ASSERT_FALSE(plan.clusters.empty()) << sql;
  for (int c : plan.clusters) {
    EXPECT_GE(c, 0) << sql;
    EXPECT_LT(c, static_cast<int>(cfg.clusters.size())) << sql;
  }
  auto sorted = plan.clusters;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << sql;
  if (plan.action == route_action::single) {
    EXPECT_EQ(plan.clusters.size(), 1u) << sql;
  } else {
    EXPECT_GT(plan.clusters.size(), 1u) << sql;
    if (plan.rewritten) {
      EXPECT_GE(plan.texts.size(), plan.clusters.size()) << sql;
    }
  }
}

struct session_flags {
  bool ansi_quotes = false;
  bool no_backslash_escapes = false;
};

inline void check(const std::vector<route_case>& cases, std::string_view schema = "shop",
                  session_flags flags = {}) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  router r(topo);
  route_plan plan;
  for (const auto& c : cases) {
    const session_view session{schema, flags.ansi_quotes, flags.no_backslash_escapes};
    // The same shape with other literals first: the case is then routed from the parse
    // cache (routing/parse_cache.hpp) where it may be, and must still route as expected.
    const std::string other = test_shapes::with_other_literals(c.sql, flags.no_backslash_escapes);
    if (!other.empty()) r.route(other, session, plan, true);
    r.route(c.sql, session, plan, true);
    parsed_statement fresh;
    parse_options options;
    options.current_schema = schema;
    options.ansi_quotes = flags.ansi_quotes;
    options.no_backslash_escapes = flags.no_backslash_escapes;
    parse_statement(c.sql, topo->config(), options, fresh);
    std::string why;
    if (!fresh.multiple) {
      EXPECT_TRUE(test_shapes::same_parse(r.parsed(), fresh, why)) << why << ": " << c.sql;
    }
    check_invariants(plan, topo->config(), c.sql);
    const std::string got = describe(plan, topo->config());
    const std::string expect = c.expect;
    if (expect.rfind("refuse:", 0) == 0) {
      EXPECT_EQ(plan.action, route_action::refuse) << c.sql << " -> " << got;
      EXPECT_NE(got.find(expect.substr(7)), std::string::npos) << c.sql << " -> " << got;
    } else {
      EXPECT_EQ(got, expect) << c.sql << " (" << plan.reason << ")";
    }
    if (c.rewritten_first) {
      ASSERT_TRUE(plan.rewritten) << c.sql;
      std::vector<std::pair<std::string, std::string>> by_name;
      for (std::size_t k = 0; k < plan.clusters.size(); ++k)
        by_name.emplace_back(topo->config().clusters[plan.clusters[k]].name, plan.texts[k]);
      std::sort(by_name.begin(), by_name.end());
      EXPECT_EQ(by_name[0].second, c.rewritten_first) << c.sql;
    }
  }
}

}  // namespace shardgate::routing::test_harness
