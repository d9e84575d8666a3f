// aggregate: folds the shards' partial results by group, reads its child to the end before
// its first row (resuming after need_input), bounds the groups held, and reports
// out-of-range sums as MariaDB does.
#include "execution/aggregate.hpp"

#include "execution/concatenate.hpp"
#include "fed_rows.hpp"

namespace shardgate::execution {
namespace {

using protocol::column_definition;
using protocol::column_type;
using routing::aggregate_kind;
using routing::column_slot;
using routing::merge_aggregate;
using routing::merge_key;
using testing::drain;
using testing::fed_rows;
using testing::v;

column_definition col(column_type t, std::uint8_t decimals = 0) {
  column_definition c;
  c.type = t;
  c.decimals = decimals;
  c.collation = 63;
  return c;
}

// SELECT g, COUNT(*), SUM(x) FROM t GROUP BY g, over shards.
struct aggregate_node : ::testing::Test {
  routing::merge_spec spec;
  merge::row_layout layout;
  plan_context ctx;
  void SetUp() override {
    spec.mode = routing::merge_mode::aggregate;
    spec.visible_items = 3;
    spec.group.push_back(merge_key{column_slot{false, 0}, {}, false});
    merge_aggregate count;
    count.kind = aggregate_kind::count;
    count.output = count.partial = column_slot{false, 1};
    merge_aggregate sum;
    sum.kind = aggregate_kind::sum;
    sum.output = sum.partial = column_slot{false, 2};
    spec.aggregates = {count, sum};
    std::string why;
    ASSERT_TRUE(layout.resolve(
        spec,
        {col(column_type::longlong), col(column_type::longlong), col(column_type::newdecimal, 2)},
        why))
        << why;
  }
};

TEST_F(aggregate_node, folds_partials_of_every_shard) {
  fed_rows a({{v("1"), v("2"), v("10.50")}, {v("2"), v("1"), v("1.00")}}, ctx, 0);
  fed_rows b({{v("1"), v("3"), v("-0.50")}, {v("3"), v("1"), std::nullopt}}, ctx, 1);
  concatenate shards({&a, &b});
  aggregate node(shards, spec, layout, ctx);
  const auto out = drain(node, ctx, 3);
  EXPECT_EQ(out.last, pull::end);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("1"), v("5"), v("10.00")},
                                                     {v("2"), v("1"), v("1.00")},
                                                     {v("3"), v("1"), std::nullopt}}));
}

TEST_F(aggregate_node, reads_everything_before_the_first_row_and_resumes_after_need_input) {
  fed_rows a({{v("1"), v("1"), v("1.00")}, {v("1"), v("1"), v("2.00")}}, ctx, 0);
  a.stalls = {0, 1, 2};
  aggregate node(a, spec, layout, ctx);
  row_ref r;
  EXPECT_EQ(node.next(r), pull::need_input);
  EXPECT_EQ(node.next(r), pull::need_input);
  EXPECT_EQ(node.next(r), pull::need_input);  // (before the child's end)
  ASSERT_EQ(node.next(r), pull::row);
  EXPECT_EQ(a.pulls, 6);  // the child was read to its end first
  ASSERT_TRUE(r.owned);
  EXPECT_EQ((*r.owned)[2], v("3.00"));
  EXPECT_EQ(node.next(r), pull::end);
}

TEST_F(aggregate_node, more_groups_than_allowed_fail_with_1038) {
  fed_rows a({{v("1"), v("1"), v("1")}, {v("2"), v("1"), v("1")}, {v("3"), v("1"), v("1")}}, ctx);
  plan_context small;
  small.max_rows = 2;
  aggregate node(a, spec, layout, small);  // (the aggregator's bound is taken at construction)
  const auto out = drain(node, small, 3);
  EXPECT_EQ(out.last, pull::failed);
  EXPECT_TRUE(out.rows.empty());
  ASSERT_TRUE(small.failure);
  EXPECT_EQ(small.failure->code, 1038);
}

TEST_F(aggregate_node, a_malformed_partial_fails_the_merge) {
  fed_rows a({{v("1"), v("not a count"), v("1.00")}}, ctx);
  aggregate node(a, spec, layout, ctx);
  const auto out = drain(node, ctx, 3);
  EXPECT_EQ(out.last, pull::failed);
  ASSERT_TRUE(ctx.failure);
  EXPECT_NE(ctx.failure->message.find("ShardGate"), std::string::npos);
}

TEST(aggregate_node_scalar, no_group_and_no_rows_gives_one_row) {
  routing::merge_spec spec;
  spec.mode = routing::merge_mode::aggregate;
  spec.visible_items = 1;
  merge_aggregate count;
  count.kind = aggregate_kind::count;
  count.output = count.partial = column_slot{false, 0};
  spec.aggregates = {count};
  merge::row_layout layout;
  std::string why;
  ASSERT_TRUE(layout.resolve(spec, {col(column_type::longlong)}, why)) << why;
  plan_context ctx;
  fed_rows a({}, ctx, 0), b({}, ctx, 1);
  concatenate shards({&a, &b});
  aggregate node(shards, spec, layout, ctx);
  const auto out = drain(node, ctx, 1);
  // SELECT COUNT(*) over empty shards: one row, 0 (as one server answers).
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("0")}}));
}

}  // namespace
}  // namespace shardgate::execution
