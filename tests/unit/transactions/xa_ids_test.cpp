// XA ids and statements of transactions.cross_shard: xa (pure functions).
#include "transactions/xa_ids.hpp"

#include <gtest/gtest.h>

namespace shardgate::transactions {
namespace {

TEST(xa_ids, gtrid_layout_and_prefixes) {
  const std::string g = make_gtrid("gate", 0x18c2a, 0x10);
  EXPECT_EQ(g, "gate-18c2a-10");
  EXPECT_EQ(instance_prefix("gate"), "gate-");
  EXPECT_EQ(boot_prefix("gate", 0x18c2a), "gate-18c2a-");
  // Fits XA's 64-byte gtrid with the longest name and largest numbers.
  EXPECT_LE(make_gtrid(std::string(24, 'n'), UINT64_MAX, UINT64_MAX).size(), 64u);
}

TEST(xa_ids, statements) {
  xa_branch b{"gate-1-2", "3"};
  EXPECT_EQ(xa_statement(xa_verb::start, b), "XA START 'gate-1-2','3',21319");
  EXPECT_EQ(xa_statement(xa_verb::end, b), "XA END 'gate-1-2','3',21319");
  EXPECT_EQ(xa_statement(xa_verb::prepare, b), "XA PREPARE 'gate-1-2','3',21319");
  EXPECT_EQ(xa_statement(xa_verb::commit, b), "XA COMMIT 'gate-1-2','3',21319");
  EXPECT_EQ(xa_statement(xa_verb::commit_one_phase, b), "XA COMMIT 'gate-1-2','3',21319 ONE PHASE");
  EXPECT_EQ(xa_statement(xa_verb::rollback, b), "XA ROLLBACK 'gate-1-2','3',21319");
  // Foreign ids found by XA RECOVER are quoted safely.
  xa_branch odd{"it's", "a\\b", 1};
  EXPECT_EQ(xa_statement(xa_verb::rollback, odd), R"(XA ROLLBACK 'it''s','a\\b',1)");
}

TEST(xa_ids, recover_rows) {
  auto b = parse_recover_row("21319", "8", "1", "gate-1-23");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->gtrid, "gate-1-2");
  EXPECT_EQ(b->bqual, "3");
  EXPECT_EQ(b->format_id, xa_format_id);
  auto empty_bqual = parse_recover_row("1", "2", "0", "g1");
  ASSERT_TRUE(empty_bqual);
  EXPECT_EQ(empty_bqual->bqual, "");
  // Binary data is kept byte for byte.
  auto bin = parse_recover_row("7", "2", "2",
                               std::string("\0\xff"
                                           "ab",
                                           4));
  ASSERT_TRUE(bin);
  EXPECT_EQ(bin->gtrid, std::string("\0\xff", 2));
  // Lengths that do not match the data, or are not numbers.
  EXPECT_FALSE(parse_recover_row("1", "3", "1", "abc"));
  EXPECT_FALSE(parse_recover_row("1", "x", "1", "ab"));
  EXPECT_FALSE(parse_recover_row("-1", "1", "1", "ab"));
  EXPECT_FALSE(parse_recover_row("1", "65", "0", std::string(65, 'a')));
  EXPECT_FALSE(parse_recover_row("", "1", "1", "ab"));
}

TEST(xa_ids, ownership) {
  EXPECT_TRUE(owned_by({"gate-1-2", "0", xa_format_id}, "gate"));
  EXPECT_FALSE(owned_by({"gate-1-2", "0", 1}, "gate"));              // an application's format
  EXPECT_FALSE(owned_by({"gate2-1-2", "0", xa_format_id}, "gate"));  // another instance
  EXPECT_FALSE(owned_by({"gate_b-1-2", "0", xa_format_id}, "gate"));
  EXPECT_FALSE(owned_by({"gate-", "0", xa_format_id}, "gate"));
  EXPECT_FALSE(owned_by({"gat", "0", xa_format_id}, "gate"));
}

}  // namespace
}  // namespace shardgate::transactions
