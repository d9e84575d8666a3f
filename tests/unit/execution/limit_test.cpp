// limit: OFFSET / LIMIT over its child, and no pull of the child once the limit is reached.
#include "execution/limit.hpp"

#include "fed_rows.hpp"

namespace shardgate::execution {
namespace {

using testing::drain;
using testing::fed_rows;
using testing::v;

std::vector<merge::owned_row> numbers(int n) {
  std::vector<merge::owned_row> rows;
  for (int i = 1; i <= n; ++i) rows.push_back({std::to_string(i)});
  return rows;
}

TEST(limit, offset_and_count) {
  plan_context ctx;
  fed_rows child(numbers(10), ctx);
  limit node(child, true, 3, 2);
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("4")}, {v("5")}}));
  EXPECT_EQ(child.pulls, 5);  // the rest is left for the driver to drain
}

TEST(limit, without_a_limit_everything_passes) {
  plan_context ctx;
  fed_rows child(numbers(4), ctx);
  limit node(child, false, 0, 0);
  EXPECT_EQ(drain(node, ctx, 1).rows.size(), 4u);
}

TEST(limit, zero_rows_and_offsets_past_the_end) {
  plan_context ctx;
  fed_rows a(numbers(3), ctx);
  limit zero(a, true, 0, 0);
  EXPECT_TRUE(drain(zero, ctx, 1).rows.empty());
  EXPECT_EQ(a.pulls, 0);
  fed_rows b(numbers(3), ctx);
  limit past(b, true, 5, 10);
  const auto out = drain(past, ctx, 1);
  EXPECT_TRUE(out.rows.empty());
  EXPECT_EQ(out.last, pull::end);
}

TEST(limit, resumes_after_need_input) {
  plan_context ctx;
  fed_rows child(numbers(6), ctx);
  child.stalls = {0, 2, 4};
  limit node(child, true, 1, 3);
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("2")}, {v("3")}, {v("4")}}));
  EXPECT_EQ(out.stalls.size(), 2u);  // (row 5 is never asked for)
}

}  // namespace
}  // namespace shardgate::execution
