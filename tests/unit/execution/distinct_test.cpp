// distinct: rows whose keys were not seen before (by weight for text), bounded by
// routing.merge_max_rows.
#include "execution/distinct.hpp"

#include "fed_rows.hpp"

namespace shardgate::execution {
namespace {

using merge::resolved_key;
using merge::value_class;
using testing::drain;
using testing::fed_rows;
using testing::v;

TEST(distinct, drops_rows_seen_before) {
  plan_context ctx;
  const std::vector<resolved_key> keys{{0, -1, false, false, value_class::signed_int},
                                       {1, -1, false, false, value_class::bytes}};
  fed_rows child({{v("1"), v("a")},
                  {v("2"), v("a")},
                  {v("1"), v("a")},
                  {v("1"), std::nullopt},
                  {v("1"), std::nullopt},
                  {v("2"), v("b")}},
                 ctx);
  child.stalls = {2};
  distinct node(child, keys, ctx);
  const auto out = drain(node, ctx, 2);
  EXPECT_EQ(out.rows,
            (std::vector<merge::owned_row>{
                {v("1"), v("a")}, {v("2"), v("a")}, {v("1"), std::nullopt}, {v("2"), v("b")}}));
}

TEST(distinct, text_compares_by_its_weight) {
  plan_context ctx;
  // Column 0 shown, column 1 its weight string (as the shards return it for a collation).
  const std::vector<resolved_key> keys{{0, 1, true, false, value_class::collated}};
  fed_rows child({{v("Paid"), v("PAID")}, {v("paid"), v("PAID")}, {v("new"), v("NEW")}}, ctx);
  distinct node(child, keys, ctx);
  const auto out = drain(node, ctx, 2);
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0][0], v("Paid"));  // the first one seen stays
  EXPECT_EQ(out.rows[1][0], v("new"));
}

TEST(distinct, more_distinct_rows_than_allowed_fail_with_1038) {
  plan_context ctx;
  ctx.max_rows = 2;
  const std::vector<resolved_key> keys{{0, -1, false, false, value_class::signed_int}};
  fed_rows child({{v("1")}, {v("2")}, {v("2")}, {v("3")}}, ctx);
  distinct node(child, keys, ctx);
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.last, pull::failed);
  EXPECT_EQ(out.rows.size(), 2u);
  ASSERT_TRUE(ctx.failure);
  EXPECT_EQ(ctx.failure->code, 1038);
  EXPECT_EQ(ctx.failure->sql_state, "HY001");
  EXPECT_NE(ctx.failure->message.find("routing.merge_max_rows"), std::string::npos);
}

}  // namespace
}  // namespace shardgate::execution
