// Parse + route micro-benchmarks (BENCHMARKS.md run 5): a point select by order number and
// a 50-row INSERT split over 4 shards, through the same router the proxy uses (routing
// parser, key extraction, placement, per-shard rewrite).
#include <benchmark/benchmark.h>

#include <string>

#include "config/loader.hpp"
#include "protocol/prepared_statement.hpp"
#include "routing/bind_params.hpp"
#include "routing/router.hpp"

namespace {

using namespace shardgate;

const char* const bench_yaml = R"(
users: [{name: app, password: app}]
clusters:
  s0: {writer: 127.0.0.1:1, user: u}
  s1: {writer: 127.0.0.1:2, user: u}
  s2: {writer: 127.0.0.1:3, user: u}
  s3: {writer: 127.0.0.1:4, user: u}
default_cluster: s0
schemas:
  shop:
    tables:
      orders:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: modulo, shards: [s0, s1, s2, s3]}
)";

std::shared_ptr<const routing::topology> topology() {
  static auto topo = [] {
    auto r = config::load_string(bench_yaml, "bench.yaml");
    return std::make_shared<const routing::topology>(
        std::get<std::shared_ptr<const config::config>>(r));
  }();
  return topo;
}

void BM_route_point_select_by_order_number(benchmark::State& state) {
  routing::router router(topology());
  routing::route_plan plan;
  const std::string sql =
      "SELECT order_no, member_id, amount, status FROM orders WHERE order_no = "
      "'ORD2026112200000123'";
  const routing::session_view session{"shop"};
  for (auto _ : state) {
    router.route(sql, session, plan);
    benchmark::DoNotOptimize(plan.clusters.data());
  }
  if (plan.action != routing::route_action::single) state.SkipWithError("not routed to one shard");
}
BENCHMARK(BM_route_point_select_by_order_number);

// A prepared point select's execution (COM_STMT_EXECUTE): its bound parameters split from
// the request, written into the statement text, and that text routed - what ShardGate does
// per execution of a statement whose route depends on its values.
void BM_bind_and_route_prepared_point_select(benchmark::State& state) {
  routing::router router(topology());
  routing::route_plan plan;
  const std::string sql =
      "SELECT order_no, member_id, amount, status FROM orders WHERE order_no = ?";
  std::vector<routing::placeholder> placeholders;
  routing::find_placeholders(sql, false, placeholders);
  // COM_STMT_EXECUTE: id 1, no cursor, 1 iteration, NULL bitmap 0, types bound (VAR_STRING).
  protocol::bytes request = {0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xfd, 0, 19};
  const std::string key = "ORD2026112200000123";
  request.insert(request.end(), key.begin(), key.end());
  std::vector<protocol::bound_param> bound;
  std::string text;
  const routing::session_view session{"shop"};
  for (auto _ : state) {
    protocol::execute_request req;
    if (!protocol::decode_execute(request, 1, req) ||
        !protocol::split_params(req, req.types, {}, bound) ||
        !routing::bind_text(sql, placeholders, bound, false, text))
      state.SkipWithError("malformed");
    router.route(text, session, plan);
    benchmark::DoNotOptimize(plan.clusters.data());
  }
  if (plan.action != routing::route_action::single) state.SkipWithError("not routed to one shard");
}
BENCHMARK(BM_bind_and_route_prepared_point_select);

// The parts of the point select's cost: lexing only, and lexing + parsing (no placement).
void BM_route_parts_lex_point_select(benchmark::State& state) {
  const std::string sql =
      "SELECT order_no, member_id, amount, status FROM orders WHERE order_no = "
      "'ORD2026112200000123'";
  std::vector<sql::token> tokens;
  for (auto _ : state) {
    tokens.clear();
    sql::lexer lx(sql);
    benchmark::DoNotOptimize(lx.tokenize(tokens));
  }
}
BENCHMARK(BM_route_parts_lex_point_select);

void BM_route_parts_parse_point_select(benchmark::State& state) {
  const std::string sql =
      "SELECT order_no, member_id, amount, status FROM orders WHERE order_no = "
      "'ORD2026112200000123'";
  routing::parsed_statement parsed;
  routing::parse_options options;
  options.current_schema = "shop";
  for (auto _ : state) {
    routing::parse_statement(sql, topology()->config(), options, parsed);
    benchmark::DoNotOptimize(parsed.tables.data());
  }
}
BENCHMARK(BM_route_parts_parse_point_select);

void BM_route_insert_50_rows_split_4_shards(benchmark::State& state) {
  routing::router router(topology());
  routing::route_plan plan;
  std::string sql = "INSERT INTO orders (order_no, member_id, shop_id, amount, status) VALUES ";
  for (int i = 1; i <= 50; ++i) {
    char row[128];
    std::snprintf(row, sizeof row, "%s('ORD20261122%08d', %d, %d, %d.50, 'PAID')",
                  i > 1 ? ", " : "", i, 100000 + i, i % 5, 1000 + i);
    sql += row;
  }
  const routing::session_view session{"shop"};
  for (auto _ : state) {
    router.route(sql, session, plan);
    benchmark::DoNotOptimize(plan.texts.data());
  }
  if (plan.action != routing::route_action::fan_out || plan.clusters.size() != 4)
    state.SkipWithError("not split over 4 shards");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}
BENCHMARK(BM_route_insert_50_rows_split_4_shards);

}  // namespace
