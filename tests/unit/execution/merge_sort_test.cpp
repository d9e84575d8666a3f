// merge_sort: the k-way merge of sorted children, stable across children, resuming after a
// child waited for input, one row held per child.
#include "execution/merge_sort.hpp"

#include "fed_rows.hpp"

namespace shardgate::execution {
namespace {

using merge::resolved_key;
using merge::value_class;
using testing::drain;
using testing::fed_rows;
using testing::v;

const std::vector<resolved_key> by_first_int{{0, -1, false, false, value_class::signed_int}};

TEST(merge_sort, merges_sorted_children_stably) {
  plan_context ctx;
  // (value, child tag): ties come out child by child.
  fed_rows a({{v("1"), v("a")}, {v("4"), v("a")}, {v("9"), v("a")}}, ctx, 0);
  fed_rows b({{std::nullopt, v("b")}, {v("4"), v("b")}, {v("10"), v("b")}}, ctx, 1);
  fed_rows c({}, ctx, 2);
  fed_rows d({{v("2"), v("d")}, {v("3"), v("d")}}, ctx, 3);
  merge_sort node({&a, &b, &c, &d}, by_first_int);
  const auto out = drain(node, ctx, 2);
  EXPECT_EQ(out.last, pull::end);
  std::vector<std::string> seen;
  for (const auto& r : out.rows) seen.push_back((r[0] ? *r[0] : "NULL") + *r[1]);
  EXPECT_EQ(seen, (std::vector<std::string>{"NULLb", "1a", "2d", "3d", "4a", "4b", "9a", "10b"}));
}

TEST(merge_sort, descending_keys) {
  plan_context ctx;
  const std::vector<resolved_key> desc{{0, -1, false, true, value_class::signed_int}};
  fed_rows a({{v("9")}, {v("1")}}, ctx, 0), b({{v("5")}, {v("4")}}, ctx, 1);
  merge_sort node({&a, &b}, desc);
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("9")}, {v("5")}, {v("4")}, {v("1")}}));
}

TEST(merge_sort, resumes_after_need_input_without_losing_rows) {
  plan_context ctx;
  fed_rows a({{v("1")}, {v("3")}, {v("5")}}, ctx, 0), b({{v("2")}, {v("4")}}, ctx, 1);
  a.stalls = {0, 1, 3};
  b.stalls = {1, 2};
  merge_sort node({&a, &b}, by_first_int);
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.rows,
            (std::vector<merge::owned_row>{{v("1")}, {v("2")}, {v("3")}, {v("4")}, {v("5")}}));
  EXPECT_EQ(out.stalls.size(), 5u);
}

TEST(merge_sort, reads_a_child_again_only_after_its_row_went_out) {
  plan_context ctx;
  fed_rows a({{v("1")}, {v("2")}}, ctx, 0), b({{v("7")}}, ctx, 1);
  merge_sort node({&a, &b}, by_first_int);
  row_ref r;
  ASSERT_EQ(node.next(r), pull::row);  // 1 (each child read once)
  EXPECT_EQ(a.pulls, 1);
  EXPECT_EQ(b.pulls, 1);
  ASSERT_EQ(node.next(r), pull::row);  // 2: a advanced now, b untouched
  EXPECT_EQ(a.pulls, 2);
  EXPECT_EQ(b.pulls, 1);
}

TEST(merge_sort, a_failing_child_fails_the_plan) {
  plan_context ctx;
  fed_rows a({{v("1")}}, ctx, 0), b({{v("2")}}, ctx, 1);
  b.fail_at_end = true;
  merge_sort node({&a, &b}, by_first_int);
  const auto out = drain(node, ctx, 1);
  EXPECT_EQ(out.last, pull::failed);
  ASSERT_TRUE(ctx.failure);
}

}  // namespace
}  // namespace shardgate::execution
