// Cost of a statement fingerprint (slow query log, /stats/queries): lexing plus writing the
// normalised text and hashing it, into a reused buffer as the workers do.
#include <benchmark/benchmark.h>

#include <string>

#include "sql/fingerprint.hpp"

namespace {

void BM_fingerprint_point_select(benchmark::State& state) {
  const std::string sql = "SELECT * FROM orders WHERE order_no = 'ORD2026112200000123'";
  std::string out;
  for (auto _ : state) benchmark::DoNotOptimize(shardgate::sql::fingerprint(sql, out));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}
BENCHMARK(BM_fingerprint_point_select);

void BM_fingerprint_insert_50_rows(benchmark::State& state) {
  std::string sql = "INSERT INTO orders (order_no, member_id, amount, note) VALUES ";
  for (int i = 0; i < 50; ++i) {
    if (i) sql += ", ";
    sql += "('ORD202611220000" + std::to_string(1000 + i) + "', " + std::to_string(7000 + i) +
           ", 12.50, 'note \\'" + std::to_string(i) + "\\'')";
  }
  std::string out;
  for (auto _ : state) benchmark::DoNotOptimize(shardgate::sql::fingerprint(sql, out));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}
BENCHMARK(BM_fingerprint_insert_50_rows);

}  // namespace
