// The Prometheus text ShardGate's /metrics answers (proxy/metrics/exposition.hpp).
#include <gtest/gtest.h>

#include "metrics/exposition.hpp"

namespace shardgate::metrics {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Exposition, CountersHistogramsAndLabels) {
  worker_metrics a, b;
  const auto select = static_cast<std::size_t>(sql::statement_kind::select);
  const auto single = static_cast<std::size_t>(route_kind::single);
  const auto scatter = static_cast<std::size_t>(route_kind::scatter);
  a.statements[select][single] = 3;
  b.statements[select][single] = 4;
  b.statements[select][scatter] = 1;
  a.cluster("shard0").latency[single].observe(80);       // <= 100 us
  a.cluster("shard0").latency[single].observe(300);      // <= 500 us
  b.cluster("shard0").latency[single].observe(7000);     // <= 10 ms
  b.cluster("shard1").latency[single].observe(9000000);  // +Inf
  b.fan_out_latency[scatter].observe(1200);
  b.fan_out(4);
  a.error(1146);
  b.error(1146);
  b.error(1226);
  a.error(65000);  // outside the table: "other"
  scrape s;
  s.workers.add(a);
  s.workers.add(b);
  s.endpoints.push_back({});
  s.endpoints[0].cluster = "shard0";
  s.endpoints[0].endpoint = "127.0.0.1:3306";
  s.endpoints[0].writer = true;
  s.endpoints[0].open = 5;
  s.endpoints[0].idle = 2;
  s.endpoints[0].breaker = 2;
  s.limits.push_back({"app", "rate_limit", 7, 2});
  s.reloads_ok = 3;
  s.reloads_failed = 1;
  s.config_checksum = "abc";
  s.generation = 4;
  s.client_connections = 9;
  const std::string text = "\n" + render(s);

  EXPECT_TRUE(has_line(text, "shardgate_statements_total{type=\"select\",route=\"single\"} 7"))
      << text;
  EXPECT_TRUE(has_line(text, "shardgate_statements_total{type=\"select\",route=\"scatter\"} 1"));
  EXPECT_TRUE(has_line(text, "# TYPE shardgate_statement_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text,
                       "shardgate_statement_duration_seconds_bucket{cluster=\"shard0\",route="
                       "\"single\",le=\"0.0001\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "shardgate_statement_duration_seconds_bucket{cluster=\"shard0\",route="
                       "\"single\",le=\"0.0005\"} 2"));
  EXPECT_TRUE(has_line(text,
                       "shardgate_statement_duration_seconds_bucket{cluster=\"shard0\",route="
                       "\"single\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has_line(
      text, "shardgate_statement_duration_seconds_count{cluster=\"shard0\",route=\"single\"} 3"));
  EXPECT_TRUE(has_line(
      text, "shardgate_statement_duration_seconds_count{cluster=\"shard1\",route=\"single\"} 1"));
  EXPECT_TRUE(has_line(
      text,
      "shardgate_statement_duration_seconds_count{cluster=\"(several)\",route=\"scatter\"} 1"));
  EXPECT_TRUE(has_line(text, "shardgate_fan_out_shards_sum 4"));
  EXPECT_TRUE(has_line(text, "shardgate_fan_out_shards_bucket{le=\"4\"} 1"));
  EXPECT_TRUE(has_line(text, "shardgate_fan_out_shards_bucket{le=\"3\"} 0"));
  EXPECT_TRUE(has_line(text, "shardgate_errors_total{code=\"1146\"} 2"));
  EXPECT_TRUE(has_line(text, "shardgate_errors_total{code=\"1226\"} 1"));
  EXPECT_TRUE(has_line(text, "shardgate_errors_total{code=\"other\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "shardgate_backend_connections_in_use{cluster=\"shard0\",endpoint=\"127.0."
                       "0.1:3306\"} 3"));
  EXPECT_TRUE(has_line(
      text, "shardgate_circuit_breaker_state{cluster=\"shard0\",endpoint=\"127.0.0.1:3306\"} 2"));
  EXPECT_TRUE(
      has_line(text, "shardgate_rate_limited_delayed_total{user=\"app\",limit=\"rate_limit\"} 7"));
  EXPECT_TRUE(
      has_line(text, "shardgate_rate_limited_rejected_total{user=\"app\",limit=\"rate_limit\"} 2"));
  EXPECT_TRUE(has_line(text, "shardgate_config_reloads_total{result=\"ok\"} 3"));
  EXPECT_TRUE(has_line(text, "shardgate_config_reloads_total{result=\"failed\"} 1"));
  EXPECT_TRUE(has_line(text, "shardgate_config_info{checksum=\"abc\",generation=\"4\"} 1"));
  EXPECT_TRUE(has_line(text, "shardgate_client_connections 9"));
  // Health samples only for checked endpoints (clusters with readers).
  EXPECT_EQ(text.find("shardgate_backend_up{"), std::string::npos);
}

TEST(Exposition, HistogramBucketsAreCumulativeAndBounded) {
  histogram h;
  for (std::uint64_t us : {0ull, 100ull, 101ull, 250ull, 5000000ull, 5000001ull}) h.observe(us);
  EXPECT_EQ(h.count, 6u);
  EXPECT_EQ(h.buckets[0], 2u);  // 0, 100 (upper bounds are inclusive, as Prometheus' le)
  EXPECT_EQ(h.buckets[1], 2u);  // 101, 250
  EXPECT_EQ(h.buckets[latency_bounds_us.size() - 1], 1u);  // 5 s
  EXPECT_EQ(h.buckets.back(), 1u);                         // over 5 s
}

}  // namespace
}  // namespace shardgate::metrics
