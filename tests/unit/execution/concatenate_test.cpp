// concatenate: children one after the other, resuming after need_input, stopping at a
// child's failure.
#include "execution/concatenate.hpp"

#include "fed_rows.hpp"

namespace shardgate::execution {
namespace {

using testing::drain;
using testing::fed_rows;
using testing::v;

TEST(concatenate, children_in_turn_and_empty_ones) {
  plan_context ctx;
  fed_rows a({{v("1")}, {v("2")}}, ctx, 0), b({}, ctx, 1), c({{v("3")}}, ctx, 2);
  concatenate node({&a, &b, &c});
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.last, pull::end);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("1")}, {v("2")}, {v("3")}}));
  // Once at the end, it stays there without pulling its children again.
  const int pulls = a.pulls + b.pulls + c.pulls;
  row_ref r;
  EXPECT_EQ(node.next(r), pull::end);
  EXPECT_EQ(a.pulls + b.pulls + c.pulls, pulls);
}

TEST(concatenate, resumes_where_a_child_waited) {
  plan_context ctx;
  fed_rows a({{v("1")}, {v("2")}}, ctx, 0), b({{v("3")}}, ctx, 1);
  a.stalls = {0, 2};  // before its first row and before its end
  b.stalls = {0};
  concatenate node({&a, &b});
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("1")}, {v("2")}, {v("3")}}));
  EXPECT_EQ(out.stalls, (std::vector<int>{0, 0, 1}));
}

TEST(concatenate, a_failing_child_fails_the_plan) {
  plan_context ctx;
  fed_rows a({{v("1")}}, ctx, 0), b({{v("2")}}, ctx, 1);
  a.fail_at_end = true;
  concatenate node({&a, &b});
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.last, pull::failed);
  EXPECT_EQ(out.rows.size(), 1u);
  ASSERT_TRUE(ctx.failure);
  EXPECT_EQ(ctx.failure->code, 1146);
  EXPECT_EQ(b.pulls, 0);  // the next child was never read
}

}  // namespace
}  // namespace shardgate::execution
