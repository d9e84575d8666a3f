// broadcast_write: the first copy's OK, and a failure that says where the copies now differ.
#include "execution/broadcast_write.hpp"

#include <gtest/gtest.h>

namespace shardgate::execution {
namespace {

leg_reply ok(std::uint64_t affected, std::uint64_t id = 0, std::string info = {}) {
  leg_reply r;
  r.ok = true;
  r.affected_rows = affected;
  r.last_insert_id = id;
  r.warnings = 1;
  r.info = std::move(info);
  return r;
}
leg_reply failed(std::uint16_t code, std::string message) {
  leg_reply r;
  r.error = protocol::mysql_error{code, "23000", std::move(message)};
  return r;
}

const std::vector<std::string> names{"s0", "s1", "s2"};

TEST(broadcast_write, every_copy_applied_answers_as_one) {
  const auto out = broadcast_write({ok(2, 7, "Rows matched: 2  Changed: 2  Warnings: 1"),
                                    ok(2, 7, "Rows matched: 2  Changed: 2  Warnings: 1"),
                                    ok(2, 7, "Rows matched: 2  Changed: 2  Warnings: 1")},
                                   names, "write to broadcast table countries");
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.affected_rows, 2u);  // not 6: one table, three copies
  EXPECT_EQ(out.last_insert_id, 7u);
  EXPECT_EQ(out.warnings, 1u);
  EXPECT_EQ(out.info, "Rows matched: 2  Changed: 2  Warnings: 1");
}

TEST(broadcast_write, a_failed_copy_names_where_it_was_applied) {
  const auto out = broadcast_write({ok(1), failed(1062, "Duplicate entry 'x'"), ok(1)}, names,
                                   "write to broadcast table countries");
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, 1062);
  EXPECT_EQ(out.error->sql_state, "23000");
  EXPECT_EQ(out.error->message,
            "ShardGate: the write to broadcast table countries failed on shard(s) s1 (1062: "
            "Duplicate entry 'x'); it WAS applied on shard(s) s0, s2 (not atomic across shards: "
            "the copies now differ; repair them)");
}

TEST(broadcast_write, failed_everywhere_was_applied_nowhere) {
  const auto out = broadcast_write(
      {failed(1146, "no t"), failed(1146, "no t"), failed(1146, "no t")}, names, "statement");
  ASSERT_TRUE(out.error);
  EXPECT_NE(out.error->message.find("; it was applied nowhere"), std::string::npos);
  EXPECT_NE(out.error->message.find("s0 (1146: no t), s1 (1146: no t), s2"), std::string::npos);
}

}  // namespace
}  // namespace shardgate::execution
