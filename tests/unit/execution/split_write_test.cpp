// split_write: summed counts, the first row's LAST_INSERT_ID, combined info, and a partial
// failure that says where the write applied.
#include "execution/split_write.hpp"

#include <gtest/gtest.h>

namespace shardgate::execution {
namespace {

leg_reply ok(std::uint64_t affected, std::uint64_t id = 0, std::string info = {}) {
  leg_reply r;
  r.ok = true;
  r.affected_rows = affected;
  r.last_insert_id = id;
  r.warnings = 2;
  r.info = std::move(info);
  return r;
}

const std::vector<std::string> names{"s0", "s1", "s2"};
const std::vector<int> clusters{0, 1, 2};

TEST(split_write, sums_the_shards_and_keeps_the_first_rows_insert_id) {
  const auto out = split_write({ok(3, 40, "Records: 3  Duplicates: 0  Warnings: 2"),
                                ok(1, 17, "Records: 1  Duplicates: 0  Warnings: 2"),
                                ok(2, 90, "Records: 2  Duplicates: 1  Warnings: 2")},
                               names, clusters, 1, "statement");
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.affected_rows, 6u);
  EXPECT_EQ(out.warnings, 6u);
  EXPECT_EQ(out.last_insert_id, 17u);  // the shard that got the statement's first row
  EXPECT_EQ(out.info, "Records: 6  Duplicates: 1  Warnings: 6");
}

TEST(split_write, without_a_first_row_the_first_shard_that_reports_an_id) {
  const auto out = split_write({ok(1, 0), ok(1, 5), ok(1, 9)}, names, clusters, -1, "statement");
  EXPECT_EQ(out.last_insert_id, 5u);
}

TEST(split_write, a_partial_failure_is_not_atomic_and_says_so) {
  leg_reply bad;
  bad.error = protocol::mysql_error{1054, "42S22", "Unknown column 'x'"};
  const auto out = split_write({ok(1), bad, ok(1)}, names, clusters, -1, "DDL");
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, 1054);
  EXPECT_EQ(out.error->sql_state, "42S22");
  EXPECT_EQ(out.error->message,
            "ShardGate: the DDL failed on shard(s) s1 (1054: Unknown column 'x'); it WAS "
            "applied on shard(s) s0, s2 (not atomic across shards)");
}

}  // namespace
}  // namespace shardgate::execution
