// libFuzzer target: the routing parser and the router must accept any bytes as a statement,
// with or without a current schema and with ANSI_QUOTES / NO_BACKSLASH_ESCAPES on or off,
// and always produce a consistent plan:
//   - a refusal carries a message and no cluster;
//   - any other plan names >= 1 cluster, each a valid, distinct index into the configuration;
//     `single` names exactly one, `fan_out` several;
//   - rewritten texts: one per cluster, and each rewritten text routes to its own cluster;
//   - the same statement routes the same way twice (the router reuses its state);
//   - route_key places any text as a key of every sharded table, or refuses it;
//   - the parse cache: after a statement of the same shape with other literals, the input
//     parses from the cache exactly as from scratch (routing/parse_cache.hpp).
// The topology is built once, from an embedded configuration like the unit tests'.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../unit/routing/shape_variants.hpp"
#include "config/loader.hpp"
#include "routing/parse_cache.hpp"
#include "routing/router.hpp"

namespace {

using shardgate::routing::route_action;
using shardgate::routing::route_plan;
using shardgate::routing::router;
using shardgate::routing::session_view;
using shardgate::routing::topology;

const char* const sharding_yaml = R"(
users: [{name: app, password: app}]
clusters:
  s0: {writer: 127.0.0.1:1, user: u}
  s1: {writer: 127.0.0.1:2, user: u}
  s2: {writer: 127.0.0.1:3, user: u}
  s3: {writer: 127.0.0.1:4, user: u}
  s4: {writer: 127.0.0.1:5, user: u}
default_cluster: s0
lookups:
  coupons_dir:
    entries: {C1: s1, C2: s2, c3: s3}
schemas:
  shop:
    default_cluster: s4
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
      words:
        shard_key: word
        key: {kind: string, case_sensitive: true}
        strategy: {kind: range, ranges: [{below: m, cluster: s1}, {cluster: s3}]}
      codes:
        shard_key: code
        key: {kind: order_number, pattern: '^[A-Z]{2}(?<date>\d{8})-?(?<seq>\d+)$'}
        strategy: {kind: hash, function: crc32, shards: [s2, s3], buckets: 8}
        generations:
          - {since: 2025-06-01, shards: [s0, s1, s2, s3]}
      rates: {broadcast: true}
      zones: {broadcast: true, clusters: [s4, s1]}
  archive:
    tables:
      old_orders:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy:
          kind: range
          ranges: [{below: 2020-01-01, cluster: s3}, {below: 2024-01-01, cluster: s2}, {cluster: s4}]
)";

struct fuzz_state {
  std::shared_ptr<const topology> topo;
  std::unique_ptr<router> r;
  std::unique_ptr<router> again;  // a second router: re-routes rewritten texts
  route_plan plan;
  route_plan plan2;
  route_plan check;
  std::vector<const shardgate::config::table_config*> tables;
  shardgate::routing::parse_cache cache;
  shardgate::routing::parsed_statement cached;
  shardgate::routing::parsed_statement fresh;
};

fuzz_state& state() {
  static fuzz_state* s = [] {
    auto* st = new fuzz_state;
    auto loaded = shardgate::config::load_string(sharding_yaml, "fuzz.yaml");
    if (!std::holds_alternative<std::shared_ptr<const shardgate::config::config>>(loaded))
      __builtin_trap();
    st->topo = std::make_shared<topology>(
        std::get<std::shared_ptr<const shardgate::config::config>>(loaded));
    st->r = std::make_unique<router>(st->topo);
    st->again = std::make_unique<router>(st->topo);
    for (const auto& schema : st->topo->config().schemas)
      for (const auto& t : schema.tables) st->tables.push_back(&t);
    return st;
  }();
  return *s;
}

void check_plan(const route_plan& plan, const shardgate::config::config& cfg) {
  if (plan.action == route_action::refuse) {
    if (plan.error.message.empty() || !plan.clusters.empty()) __builtin_trap();
    return;
  }
  if (plan.clusters.empty()) __builtin_trap();
  const int n = static_cast<int>(cfg.clusters.size());
  for (std::size_t a = 0; a < plan.clusters.size(); ++a) {
    if (plan.clusters[a] < 0 || plan.clusters[a] >= n) __builtin_trap();
    for (std::size_t b = 0; b < a; ++b)
      if (plan.clusters[a] == plan.clusters[b]) __builtin_trap();
  }
  if (plan.action == route_action::single && plan.clusters.size() != 1) __builtin_trap();
  if (plan.action == route_action::fan_out && plan.clusters.size() < 2) __builtin_trap();
  if (plan.rewritten) {
    if (plan.action != route_action::fan_out) __builtin_trap();
    if (plan.texts.size() < plan.clusters.size()) __builtin_trap();
    for (std::size_t k = 0; k < plan.clusters.size(); ++k)
      if (plan.texts[k].empty()) __builtin_trap();
  }
  // A broadcast read is one copy; a broadcast write every copy.
  if (plan.broadcast_read && (plan.action != route_action::single || plan.write)) __builtin_trap();
  if (plan.combine == shardgate::routing::route_combine::broadcast &&
      (plan.action != route_action::fan_out || plan.rewritten))
    __builtin_trap();
  if (plan.first_row_cluster != -1) {
    bool found = false;
    for (int c : plan.clusters) found = found || c == plan.first_row_cluster;
    if (!found) __builtin_trap();
  }
}

bool same_plan(const route_plan& a, const route_plan& b) {
  if (a.action != b.action || a.clusters != b.clusters || a.rewritten != b.rewritten ||
      a.combine != b.combine || a.write != b.write || a.tableless != b.tableless ||
      a.error.message != b.error.message || a.table != b.table ||
      a.broadcast_read != b.broadcast_read)
    return false;
  if (a.rewritten)
    for (std::size_t k = 0; k < a.clusters.size(); ++k)
      if (a.texts[k] != b.texts[k]) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_state& st = state();
  const auto& cfg = st.topo->config();
  const std::string_view sql(reinterpret_cast<const char*>(data), size);

  static constexpr std::string_view schemas[] = {"shop", "", "archive", "SHOP"};
  for (int variant = 0; variant < 8; ++variant) {
    session_view session;
    session.schema = schemas[variant % 4];
    session.ansi_quotes = (variant & 1) != 0;
    session.no_backslash_escapes = (variant & 4) != 0;
    const bool explain = (variant & 2) != 0;
    st.r->route(sql, session, st.plan, explain);
    check_plan(st.plan, cfg);
    if (explain && st.plan.reason.empty()) __builtin_trap();
    // Deterministic, whatever the router kept from the previous statement.
    st.r->route(sql, session, st.plan2, explain);
    if (!same_plan(st.plan, st.plan2)) __builtin_trap();
    // A merged scatter's shard statement is itself a readable statement for the same
    // shards (the rewrite never produces text that parses differently).
    if (st.plan.rewritten && st.plan.combine == shardgate::routing::route_combine::merge) {
      st.again->route(st.plan.texts[0], session, st.check, false);
      check_plan(st.check, cfg);
      auto a = st.plan.clusters, b = st.check.clusters;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      // Its hidden columns (WEIGHT_STRING(MIN(x)), ...) may make it unmergeable itself,
      // but it must read, and reach the same shards.
      const bool unmergeable = st.check.action == route_action::refuse &&
                               st.check.error.message.find(
                                   "cannot be merged across shards exactly") != std::string::npos;
      if (!unmergeable && (st.check.action != route_action::fan_out || a != b)) __builtin_trap();
      for (std::size_t k = 1; k < st.plan.clusters.size(); ++k)
        if (st.plan.texts[k] != st.plan.texts[0]) __builtin_trap();
    } else if (st.plan.rewritten) {
      // Each rewritten text holds only its own cluster's keys.
      for (std::size_t k = 0; k < st.plan.clusters.size(); ++k) {
        st.again->route(st.plan.texts[k], session, st.check, false);
        check_plan(st.check, cfg);
        if (st.check.action != route_action::single || st.check.clusters[0] != st.plan.clusters[k])
          __builtin_trap();
      }
    }
  }

  // The parse cache, primed with the same shape: the same parse as from scratch.
  for (int variant = 0; variant < 4; ++variant) {
    shardgate::routing::parse_options options;
    options.current_schema = schemas[variant];
    options.ansi_quotes = (variant & 1) != 0;
    options.no_backslash_escapes = (variant & 2) != 0;
    const std::string other =
        shardgate::routing::test_shapes::with_other_literals(sql, options.no_backslash_escapes);
    if (!other.empty()) st.cache.parse(other, cfg, options, st.cached);
    st.cache.parse(sql, cfg, options, st.cached);
    shardgate::routing::parse_statement(sql, cfg, options, st.fresh);
    std::string why;
    if (!shardgate::routing::test_shapes::same_parse(st.cached, st.fresh, why)) __builtin_trap();
  }

  // The input as a key of every configured table (a broadcast table: every copy).
  for (const auto* t : st.tables) {
    st.r->route_key(*t, sql, st.plan);
    check_plan(st.plan, cfg);
    if (t->broadcast) {
      if (st.plan.clusters != st.topo->placement(*t).clusters()) __builtin_trap();
      continue;
    }
    if (st.plan.action == route_action::fan_out) __builtin_trap();
    if (st.plan.action == route_action::single) {
      const auto& all = st.topo->placement(*t).clusters();
      bool found = false;
      for (int c : all) found = found || c == st.plan.clusters[0];
      if (!found) __builtin_trap();
    }
  }
  return 0;
}
