// The pure decisions behind writer discovery and reader choice (backend/cluster_health),
// and the shared health state's rules for which endpoint serves reads.
#include "backend/cluster_health.hpp"

#include <gtest/gtest.h>

#include <map>

namespace shardgate::backend {
namespace {

using obs = endpoint_observation;

TEST(choose_writer, keeps_a_healthy_writer) {
  const std::vector<obs> e = {{true, true}, {true, true}, {true, false}};
  EXPECT_EQ(choose_writer(0, e), 0);
  EXPECT_EQ(choose_writer(1, e), 1);  // no flapping back to the configured one
}

TEST(choose_writer, fails_over_to_the_first_writable) {
  // The writer died; the replica was promoted.
  EXPECT_EQ(choose_writer(0, std::vector<obs>{{false, false}, {true, false}, {true, true}}), 2);
  // The writer turned read-only (switchover).
  EXPECT_EQ(choose_writer(0, std::vector<obs>{{true, false}, {true, true}}), 1);
  // An unreachable endpoint's last "writable" does not count.
  EXPECT_EQ(choose_writer(1, std::vector<obs>{{false, true}, {false, false}, {true, true}}), 2);
}

TEST(choose_writer, keeps_the_current_one_when_none_writes) {
  EXPECT_EQ(choose_writer(0, std::vector<obs>{{false, false}, {true, false}}), 0);
  EXPECT_EQ(choose_writer(1, std::vector<obs>{{true, false}, {false, false}}), 1);
}

TEST(pick_reader, least_outstanding_first) {
  const std::vector<reader_candidate> c = {{1, 3, 1}, {2, 0, 1}, {3, 1, 1}};
  EXPECT_EQ(pick_reader(c, 0), 2);
  EXPECT_EQ(pick_reader(c, 7), 2);
}

TEST(pick_reader, none) {
  EXPECT_EQ(pick_reader({}, 0), -1);
  const std::vector<reader_candidate> zero = {{1, 0, 0}};
  EXPECT_EQ(pick_reader(zero, 0), -1);  // weight 0: takes no reads
}

TEST(pick_reader, weights_share_the_load) {
  // Simulate reads that stay outstanding: weight 3 gets three times the reads of weight 1.
  std::vector<reader_candidate> c = {{1, 0, 1}, {2, 0, 3}};
  std::map<int, int> got;
  for (std::uint32_t i = 0; i < 400; ++i) {
    const int e = pick_reader(c, i);
    ++got[e];
    for (auto& r : c)
      if (r.endpoint == e) ++r.outstanding;
  }
  EXPECT_EQ(got[1], 100);
  EXPECT_EQ(got[2], 300);
}

TEST(pick_reader, ties_rotate) {
  const std::vector<reader_candidate> c = {{1, 0, 1}, {2, 0, 1}};
  EXPECT_NE(pick_reader(c, 0), pick_reader(c, 1));
}

TEST(aurora_topology, maps_instances_to_endpoints) {
  const std::vector<config::endpoint> eps = {{"db-1.abc.eu-west-1.rds.amazonaws.com", 3306},
                                             {"db-2.abc.eu-west-1.rds.amazonaws.com", 3306},
                                             {"db-3.abc.eu-west-1.rds.amazonaws.com", 3306}};
  const std::vector<aurora_row> rows = {{"db-2", "MASTER_SESSION_ID", 0},
                                        {"db-1", "8a1f-session", 12.5},
                                        {"db-3", "77aa-session", 3000},
                                        {"db-10", "other", 1}};
  std::vector<std::int64_t> lag;
  EXPECT_EQ(aurora_topology(rows, eps, lag), 1);
  ASSERT_EQ(lag.size(), 3u);
  EXPECT_EQ(lag[0], 12);
  EXPECT_EQ(lag[1], 0);
  EXPECT_EQ(lag[2], 3000);
}

TEST(aurora_topology, no_writer_row) {
  const std::vector<config::endpoint> eps = {{"db-1", 3306}};
  const std::vector<aurora_row> rows = {{"db-1x", "MASTER_SESSION_ID", 0}};
  std::vector<std::int64_t> lag;
  EXPECT_EQ(aurora_topology(rows, eps, lag), -1);  // db-1x is not db-1
  EXPECT_EQ(lag[0], -1);
}

TEST(cluster_health, which_endpoints_serve_reads) {
  config::cluster_config cfg;
  cfg.readers = {{{"127.0.0.1", 2}, 1}, {{"127.0.0.1", 3}, 2}};
  cfg.max_replica_lag_ms = 500;
  cluster_health h(cfg);
  EXPECT_EQ(h.writer(), 0);
  EXPECT_EQ(h.weight(2), 2u);
  EXPECT_FALSE(h.serves_reads(0));  // the writer
  EXPECT_FALSE(h.serves_reads(1));  // lag unknown yet, and a limit is set
  h.at(1).lag_ok = true;            // (what the checker stores from within_lag_limit)
  EXPECT_TRUE(h.serves_reads(1));
  EXPECT_FALSE(h.serves_reads(2));  // too far behind
  h.at(1).reachable = false;
  EXPECT_FALSE(h.serves_reads(1));
  h.set_writer(2);
  EXPECT_EQ(h.writer_changes(), 1u);
  h.at(0).reachable = true;
  h.at(0).lag_ok = true;
  EXPECT_TRUE(h.serves_reads(0));  // the old writer, now a replica
  EXPECT_FALSE(h.serves_reads(2));
}

TEST(within_lag_limit, hysteresis) {
  EXPECT_TRUE(within_lag_limit(true, 0, 1000));
  EXPECT_TRUE(within_lag_limit(true, 1000, 1000));
  EXPECT_FALSE(within_lag_limit(true, 1001, 1000));
  EXPECT_FALSE(within_lag_limit(true, -1, 1000));  // unknown / replication stopped
  // Fell behind: back only under half the limit.
  EXPECT_FALSE(within_lag_limit(false, 900, 1000));
  EXPECT_FALSE(within_lag_limit(false, 501, 1000));
  EXPECT_TRUE(within_lag_limit(false, 500, 1000));
  EXPECT_FALSE(within_lag_limit(false, -1, 1000));
}

TEST(cluster_health, without_a_lag_limit_unknown_lag_serves) {
  config::cluster_config cfg;
  cfg.readers = {{{"127.0.0.1", 2}, 1}};
  cluster_health h(cfg);
  EXPECT_TRUE(h.serves_reads(1));
}

}  // namespace
}  // namespace shardgate::backend
