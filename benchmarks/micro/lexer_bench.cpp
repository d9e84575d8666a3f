// Lexing cost of the statements BENCHMARKS.md run 5 routes (the parser and router add to
// this): a point select by order number and a 50-row INSERT.
#include <benchmark/benchmark.h>

#include <string>

#include "sql/lexer.hpp"

namespace {

using shardgate::sql::lexer;
using shardgate::sql::token_kind;

std::size_t lex_all(std::string_view sql) {
  lexer lx(sql);
  std::size_t tokens = 0;
  for (auto t = lx.next(); t.kind != token_kind::end && t.kind != token_kind::error; t = lx.next())
    ++tokens;
  return tokens;
}

void point_select(benchmark::State& state) {
  const std::string sql = "SELECT * FROM orders WHERE order_no = 'ORD2026112200000123'";
  for (auto _ : state) benchmark::DoNotOptimize(lex_all(sql));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}
BENCHMARK(point_select);

void insert_50_rows(benchmark::State& state) {
  std::string sql = "INSERT INTO orders (order_no, member_id, amount, note) VALUES ";
  for (int i = 0; i < 50; ++i) {
    if (i) sql += ", ";
    sql += "('ORD202611220000" + std::to_string(1000 + i) + "', " + std::to_string(7000 + i) +
           ", 12.50, 'note \\'" + std::to_string(i) + "\\'')";
  }
  for (auto _ : state) benchmark::DoNotOptimize(lex_all(sql));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}
BENCHMARK(insert_50_rows);

}  // namespace
