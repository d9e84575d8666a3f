// metrics::query_stats: per-worker aggregation by fingerprint, eviction when full, merging
// the workers' snapshots, and the JSON of /stats/queries (escaping of any bytes).
#include "metrics/query_stats.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace shardgate::metrics {
namespace {

const query_stat* find(const std::vector<query_stat>& stats, std::uint64_t hash) {
  for (const query_stat& s : stats)
    if (s.hash == hash) return &s;
  return nullptr;
}

std::vector<std::uint64_t> hashes(const std::vector<query_stat>& stats) {
  std::vector<std::uint64_t> out;
  for (const query_stat& s : stats) out.push_back(s.hash);
  return out;
}

query_stat stat(std::uint64_t hash, std::string text, std::string route, std::uint64_t calls,
                std::uint64_t errors, std::uint64_t total_us, std::uint64_t max_us,
                std::uint64_t min_us) {
  query_stat s;
  s.hash = hash;
  s.fingerprint = std::move(text);
  s.last_route = std::move(route);
  s.calls = calls;
  s.errors = errors;
  s.total_us = total_us;
  s.max_us = max_us;
  s.min_us = min_us;
  return s;
}

TEST(QueryStats, StartsEmpty) {
  query_stats stats(10);
  EXPECT_EQ(stats.size(), 0u);
  EXPECT_EQ(stats.capacity(), 10u);
  EXPECT_TRUE(stats.snapshot().empty());
}

TEST(QueryStats, AccumulatesOneFingerprint) {
  query_stats stats(10);
  stats.record(42, "SELECT ?", "single shard0", 300, false);
  stats.record(42, "SELECT ?", "single shard1", 100, true);
  stats.record(42, "SELECT ?", "scatter 4", 500, false);
  const auto snap = stats.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  const query_stat& s = snap[0];
  EXPECT_EQ(s.hash, 42u);
  EXPECT_EQ(s.fingerprint, "SELECT ?");
  EXPECT_EQ(s.calls, 3u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.total_us, 900u);
  EXPECT_EQ(s.max_us, 500u);
  EXPECT_EQ(s.min_us, 100u);
  EXPECT_EQ(s.last_route, "scatter 4");
}

TEST(QueryStats, MinimumOfAFirstCallThatIsTheSmallest) {
  query_stats stats(10);
  stats.record(1, "a", "r", 7, false);
  stats.record(1, "a", "r", 9, false);
  EXPECT_EQ(stats.snapshot()[0].min_us, 7u);
  EXPECT_EQ(stats.snapshot()[0].max_us, 9u);
}

TEST(QueryStats, KeepsTheTextOfTheFirstCall) {
  query_stats stats(10);
  stats.record(7, "SELECT a FROM t", "single shard0", 1, false);
  stats.record(7, "something else with the same hash", "single shard0", 1, false);
  EXPECT_EQ(stats.snapshot()[0].fingerprint, "SELECT a FROM t");
}

TEST(QueryStats, SeparatesFingerprints) {
  query_stats stats(10);
  stats.record(1, "A", "x", 10, false);
  stats.record(2, "B", "y", 20, true);
  stats.record(1, "A", "x", 30, false);
  const auto snap = stats.snapshot();
  ASSERT_EQ(snap.size(), 2u);
  ASSERT_NE(find(snap, 1), nullptr);
  ASSERT_NE(find(snap, 2), nullptr);
  EXPECT_EQ(find(snap, 1)->calls, 2u);
  EXPECT_EQ(find(snap, 1)->total_us, 40u);
  EXPECT_EQ(find(snap, 2)->calls, 1u);
  EXPECT_EQ(find(snap, 2)->errors, 1u);
}

TEST(QueryStats, CutsLongRoutes) {
  query_stats stats(10);
  stats.record(1, "A", std::string(100, 'r'), 1, false);
  EXPECT_EQ(stats.snapshot()[0].last_route, std::string(max_route_size, 'r'));
  // Not inside a UTF-8 sequence: 63 bytes of 'r' then a 2-byte character at 63..64.
  stats.record(1, "A", std::string(63, 'r') + "\xc3\xa9tc", 1, false);
  EXPECT_EQ(stats.snapshot()[0].last_route, std::string(63, 'r'));
}

TEST(QueryStats, EvictsTheLeastTotalTimeWhenFull) {
  query_stats stats(3);
  stats.record(1, "one", "r", 100, false);
  stats.record(2, "two", "r", 50, false);
  stats.record(3, "three", "r", 200, false);
  stats.record(2, "two", "r", 10, false);  // 60 in all: still the least
  stats.record(4, "four", "r", 5, false);
  EXPECT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats.evictions(), 1u);
  auto snap = stats.snapshot();
  EXPECT_EQ(find(snap, 2), nullptr);
  ASSERT_NE(find(snap, 4), nullptr);
  EXPECT_EQ(find(snap, 4)->fingerprint, "four");
  EXPECT_EQ(find(snap, 4)->calls, 1u);
  EXPECT_EQ(find(snap, 4)->total_us, 5u);
  EXPECT_EQ(find(snap, 4)->min_us, 5u);
  // The newcomer (5 us) is now the least: the next new fingerprint replaces it.
  stats.record(2, "two again", "r", 1000, true);
  snap = stats.snapshot();
  EXPECT_EQ(stats.evictions(), 2u);
  EXPECT_EQ(find(snap, 4), nullptr);
  ASSERT_NE(find(snap, 2), nullptr);
  EXPECT_EQ(find(snap, 2)->fingerprint, "two again");
  EXPECT_EQ(find(snap, 2)->calls, 1u);  // counted from zero again
  EXPECT_EQ(find(snap, 2)->errors, 1u);
  EXPECT_EQ(find(snap, 2)->total_us, 1000u);
  EXPECT_NE(find(snap, 1), nullptr);
  EXPECT_NE(find(snap, 3), nullptr);
  // Known fingerprints never evict.
  stats.record(1, "one", "r", 1, false);
  EXPECT_EQ(stats.evictions(), 2u);
}

TEST(QueryStats, EvictsTheFirstOfEquals) {
  query_stats stats(2);
  stats.record(1, "one", "r", 10, false);
  stats.record(2, "two", "r", 10, false);
  stats.record(3, "three", "r", 10, false);
  EXPECT_EQ(hashes(stats.snapshot()), (std::vector<std::uint64_t>{3, 2}));
}

TEST(QueryStats, CapacityZeroMeansOne) {
  query_stats stats(0);
  EXPECT_EQ(stats.capacity(), 1u);
  stats.record(1, "one", "r", 10, false);
  stats.record(2, "two", "r", 1, false);
  EXPECT_EQ(hashes(stats.snapshot()), (std::vector<std::uint64_t>{2}));
}

TEST(QueryStats, ManyFingerprintsStayBounded) {
  query_stats stats(100);
  for (std::uint64_t i = 0; i < 10000; ++i) stats.record(i, "q", "r", i % 977, i % 3 == 0);
  EXPECT_EQ(stats.size(), 100u);
  EXPECT_EQ(stats.evictions(), 9900u);
  for (const query_stat& s : stats.snapshot()) EXPECT_EQ(s.calls, 1u);
}

TEST(QueryStats, SnapshotIsACopy) {
  query_stats stats(10);
  stats.record(1, "one", "r", 10, false);
  const auto snap = stats.snapshot();
  stats.record(1, "one", "r", 10, false);
  EXPECT_EQ(snap[0].calls, 1u);
  EXPECT_EQ(stats.snapshot()[0].calls, 2u);
}

TEST(QueryStats, ResetForgetsEverything) {
  query_stats stats(1);
  stats.record(1, "one", "r", 10, false);
  stats.record(2, "two", "r", 10, false);
  stats.reset();
  EXPECT_EQ(stats.size(), 0u);
  EXPECT_EQ(stats.evictions(), 0u);
  EXPECT_TRUE(stats.snapshot().empty());
  stats.record(1, "one", "r", 3, false);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats.snapshot()[0].calls, 1u);
  EXPECT_EQ(stats.snapshot()[0].total_us, 3u);
}

// --- merge_top

std::vector<std::vector<query_stat>> two_workers() {
  return {
      {stat(1, "A", "single shard0", 3, 1, 300, 200, 20),
       stat(2, "B", "scatter 2", 1, 0, 50, 50, 50),
       stat(3, "C", "single shard1", 10, 0, 100, 15, 5)},
      {stat(1, "A", "single shard1", 5, 0, 500, 150, 10),
       stat(4, "D", "single shard0", 2, 2, 1000, 900, 100)},
  };
}

TEST(QueryStatsMerge, SumsByHash) {
  const auto top = merge_top(two_workers(), 10, sort_key::total_time);
  ASSERT_EQ(hashes(top), (std::vector<std::uint64_t>{4, 1, 3, 2}));
  const query_stat& a = top[1];
  EXPECT_EQ(a.fingerprint, "A");
  EXPECT_EQ(a.calls, 8u);
  EXPECT_EQ(a.errors, 1u);
  EXPECT_EQ(a.total_us, 800u);
  EXPECT_EQ(a.max_us, 200u);
  EXPECT_EQ(a.min_us, 10u);
  EXPECT_EQ(a.last_route, "single shard1");  // the route of the worker with more calls
  EXPECT_EQ(top[0].calls, 2u);
  EXPECT_EQ(top[0].errors, 2u);
  EXPECT_EQ(top[0].last_route, "single shard0");
}

TEST(QueryStatsMerge, TopNByEachKey) {
  EXPECT_EQ(hashes(merge_top(two_workers(), 2, sort_key::total_time)),
            (std::vector<std::uint64_t>{4, 1}));
  EXPECT_EQ(hashes(merge_top(two_workers(), 3, sort_key::calls)),
            (std::vector<std::uint64_t>{3, 1, 4}));
  EXPECT_EQ(hashes(merge_top(two_workers(), 10, sort_key::max_time)),
            (std::vector<std::uint64_t>{4, 1, 2, 3}));
  EXPECT_TRUE(merge_top(two_workers(), 0, sort_key::calls).empty());
}

TEST(QueryStatsMerge, TiesByHash) {
  std::vector<std::vector<query_stat>> workers = {
      {stat(9, "I", "r", 1, 0, 10, 10, 10), stat(5, "E", "r", 1, 0, 10, 10, 10)},
      {stat(7, "G", "r", 1, 0, 10, 10, 10)}};
  EXPECT_EQ(hashes(merge_top(workers, 3, sort_key::total_time)),
            (std::vector<std::uint64_t>{5, 7, 9}));
}

TEST(QueryStatsMerge, NoWorkersOrEmptyWorkers) {
  EXPECT_TRUE(merge_top({}, 10, sort_key::total_time).empty());
  EXPECT_TRUE(merge_top({{}, {}}, 10, sort_key::total_time).empty());
}

TEST(QueryStatsMerge, FromRealAggregators) {
  query_stats w1(10), w2(10);
  w1.record(11, "SELECT ?", "single shard0", 1000, false);
  w2.record(11, "SELECT ?", "single shard1", 3000, false);
  w2.record(11, "SELECT ?", "single shard1", 2000, true);
  w2.record(12, "UPDATE t SET a = ?", "single shard1", 100, false);
  const auto top = merge_top({w1.snapshot(), w2.snapshot()}, 1, sort_key::total_time);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].calls, 3u);
  EXPECT_EQ(top[0].total_us, 6000u);
  EXPECT_EQ(top[0].min_us, 1000u);
  EXPECT_EQ(top[0].max_us, 3000u);
  EXPECT_EQ(to_json(top),
            "[{\"fingerprint\": \"SELECT ?\", \"calls\": 3, \"errors\": 1, \"total_ms\": 6.000, "
            "\"avg_ms\": 2.000, \"max_ms\": 3.000, \"last_route\": \"single shard1\"}]");
}

// --- JSON

TEST(QueryStatsJson, EmptyArray) {
  EXPECT_EQ(to_json({}), "[]");
}

TEST(QueryStatsJson, Fields) {
  const std::vector<query_stat> stats = {
      stat(1, "SELECT * FROM t WHERE a = ?", "single shard0", 3, 1, 1234567, 1000001, 5),
      stat(2, "COMMIT", "", 0, 0, 0, 0, 0)};
  EXPECT_EQ(to_json(stats),
            "[{\"fingerprint\": \"SELECT * FROM t WHERE a = ?\", \"calls\": 3, \"errors\": 1, "
            "\"total_ms\": 1234.567, \"avg_ms\": 411.522, \"max_ms\": 1000.001, "
            "\"last_route\": \"single shard0\"}, "
            "{\"fingerprint\": \"COMMIT\", \"calls\": 0, \"errors\": 0, \"total_ms\": 0.000, "
            "\"avg_ms\": 0.000, \"max_ms\": 0.000, \"last_route\": \"\"}]");
}

TEST(QueryStatsJson, AverageRoundsToTheMicrosecond) {
  // 10 us over 3 calls: 3.333 us -> 0.003 ms; 11 us: 3.667 -> 0.004 ms.
  EXPECT_NE(to_json({stat(1, "a", "r", 3, 0, 10, 5, 1)}).find("\"avg_ms\": 0.003,"),
            std::string::npos);
  EXPECT_NE(to_json({stat(1, "a", "r", 3, 0, 11, 5, 1)}).find("\"avg_ms\": 0.004,"),
            std::string::npos);
}

std::string escaped(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(QueryStatsJson, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(escaped("a\"b\\c/d"), "a\\\"b\\\\c/d");
  EXPECT_EQ(escaped("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(escaped(std::string_view("\x00\x01\x1f\x7f", 4)), "\\u0000\\u0001\\u001f\\u007f");
  EXPECT_EQ(escaped(""), "");
}

TEST(QueryStatsJson, KeepsValidUtf8) {
  EXPECT_EQ(escaped("caf\xc3\xa9"), "caf\xc3\xa9");                            // U+00E9
  EXPECT_EQ(escaped("\xe6\xb3\xa8\xe6\x96\x87"), "\xe6\xb3\xa8\xe6\x96\x87");  // CJK
  EXPECT_EQ(escaped("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");                  // U+1F600
  EXPECT_EQ(escaped("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");                  // U+10FFFF
  EXPECT_EQ(escaped("\xed\x9f\xbf"), "\xed\x9f\xbf");                          // U+D7FF
}

TEST(QueryStatsJson, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(escaped("\xff"), "\\u00ff");
  EXPECT_EQ(escaped("a\x80z"), "a\\u0080z");      // lone continuation
  EXPECT_EQ(escaped("caf\xe9!"), "caf\\u00e9!");  // latin1 é
  EXPECT_EQ(escaped("\xc3"), "\\u00c3");          // cut at the end
  EXPECT_EQ(escaped("\xe2\x82"
                    "A"),
            "\\u00e2\\u0082A");                                            // cut in the middle
  EXPECT_EQ(escaped("\xc0\xaf"), "\\u00c0\\u00af");                        // overlong '/'
  EXPECT_EQ(escaped("\xe0\x80\xaf"), "\\u00e0\\u0080\\u00af");             // overlong
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080");             // surrogate
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), "\\u00f4\\u0090\\u0080\\u0080");  // > U+10FFFF
  EXPECT_EQ(escaped("\xf8\x88\x80\x80\x80"), "\\u00f8\\u0088\\u0080\\u0080\\u0080");
  EXPECT_EQ(escaped("\xc3\xa9\xff\xc3\xa9"), "\xc3\xa9\\u00ff\xc3\xa9");
}

TEST(QueryStatsJson, OddBytesInFingerprintAndRoute) {
  const std::vector<query_stat> stats = {
      stat(1, "SELECT 'x\n\xff\"", "single \x01shard0", 1, 0, 1, 1, 1)};
  EXPECT_EQ(to_json(stats),
            "[{\"fingerprint\": \"SELECT 'x\\n\\u00ff\\\"\", \"calls\": 1, \"errors\": 0, "
            "\"total_ms\": 0.001, \"avg_ms\": 0.001, \"max_ms\": 0.001, "
            "\"last_route\": \"single \\u0001shard0\"}]");
}

}  // namespace
}  // namespace shardgate::metrics
