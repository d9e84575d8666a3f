// project: the client's encoding of a row - visible columns only, as text or in the binary
// protocol - for shard rows and for rows the plan computed.
#include "execution/project.hpp"

#include "fed_rows.hpp"
#include "protocol/binary_row.hpp"

namespace shardgate::execution {
namespace {

using protocol::column_definition;
using protocol::column_type;
using testing::drain;
using testing::fed_rows;
using testing::v;

column_definition col(column_type t) {
  column_definition c;
  c.type = t;
  c.collation = 63;
  return c;
}

const std::vector<column_definition> two_visible_one_hidden{
    col(column_type::longlong), col(column_type::var_string), col(column_type::var_string)};

TEST(project, text_rows_pass_unchanged_without_hidden_columns) {
  plan_context ctx;
  fed_rows child({{v("1"), v("a"), v("A")}}, ctx);
  project node(child, two_visible_one_hidden, 3, false, false, ctx);
  const auto out = drain(node, ctx, 3);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("1"), v("a"), v("A")}}));
}

TEST(project, hidden_columns_are_cut_off) {
  plan_context ctx;
  fed_rows child({{v("1"), v("a"), v("A")}, {std::nullopt, v(""), v("x")}}, ctx);
  project node(child, two_visible_one_hidden, 2, true, false, ctx);
  row_ref r;
  ASSERT_EQ(node.next(r), pull::row);
  protocol::bytes expected;
  merge::encode_row(expected, {v("1"), v("a")}, 2);
  EXPECT_EQ(protocol::bytes(r.payload.begin(), r.payload.end()), expected);
  ASSERT_EQ(node.next(r), pull::row);
  expected.clear();
  merge::encode_row(expected, {std::nullopt, v("")}, 2);
  EXPECT_EQ(protocol::bytes(r.payload.begin(), r.payload.end()), expected);
  EXPECT_EQ(node.next(r), pull::end);
}

// A child that returns one computed row (as aggregate does).
struct owned_child final : row_source {
  merge::owned_row row{v("7"), v("b"), v("B")};
  bool sent = false;
  pull next(row_ref& r) override {
    if (sent) return pull::end;
    sent = true;
    r.payload = {};
    r.fields = nullptr;
    r.owned = &row;
    return pull::row;
  }
};

TEST(project, computed_rows_are_encoded) {
  plan_context ctx;
  owned_child child;
  project node(child, two_visible_one_hidden, 2, true, false, ctx);
  const auto out = drain(node, ctx, 2);
  EXPECT_EQ(out.rows, (std::vector<merge::owned_row>{{v("7"), v("b")}}));
}

TEST(project, binary_rows_for_a_prepared_statement) {
  plan_context ctx;
  fed_rows child({{v("5"), v("x"), v("X")}}, ctx);
  project node(child, two_visible_one_hidden, 2, true, true, ctx);
  row_ref r;
  ASSERT_EQ(node.next(r), pull::row);
  protocol::bytes expected;
  ASSERT_TRUE(protocol::encode_binary_row(
      expected, protocol::text_row{"5", "x"},
      std::span<const column_definition>(two_visible_one_hidden).first(2)));
  EXPECT_EQ(protocol::bytes(r.payload.begin(), r.payload.end()), expected);
  EXPECT_EQ(r.payload[0], 0x00);  // the binary row header
}

TEST(project, a_value_that_is_not_its_type_fails_the_merge) {
  plan_context ctx;
  fed_rows child({{v("12a"), v("x"), v("X")}}, ctx);
  project node(child, two_visible_one_hidden, 2, true, true, ctx);
  const auto out = drain(node, ctx, 2);
  EXPECT_EQ(out.last, pull::failed);
  ASSERT_TRUE(ctx.failure);
  EXPECT_EQ(ctx.failure->code, 1235);
  EXPECT_NE(ctx.failure->message.find("does not read as its column's type"), std::string::npos);
}

}  // namespace
}  // namespace shardgate::execution
