// The merge primitives, each alone: key comparison (ties, NULLs, DESC, weights), the
// k-way merge, LIMIT edge cases, DISTINCT, and aggregation with HAVING and ordering.
#include <gtest/gtest.h>

#include "merge/operators.hpp"
#include "sql/lexer.hpp"

namespace shardgate::merge {
namespace {

using protocol::column_definition;
using protocol::column_type;
using routing::aggregate_kind;
using routing::merge_aggregate;
using routing::merge_key;

column_definition col(column_type t, std::uint8_t decimals = 0, std::uint16_t collation = 63) {
  column_definition c;
  c.type = t;
  c.decimals = decimals;
  c.collation = collation;
  return c;
}

protocol::bytes encode(const owned_row& r) {
  protocol::bytes b;
  encode_row(b, r, r.size());
  return b;
}

column_slot vis(int i) {
  return {false, i};
}
column_slot hid(int i) {
  return {true, i};
}

TEST(rows, parse_and_prefix) {
  const owned_row r{"a", std::nullopt, std::string(300, 'x'), "tail"};
  const auto b = encode(r);
  row_fields f;
  ASSERT_TRUE(protocol::decode_text_row(b, 4, f));
  EXPECT_EQ(f[0], field("a"));
  EXPECT_FALSE(f[1]);
  EXPECT_EQ(f[2]->size(), 300u);
  EXPECT_FALSE(protocol::decode_text_row(b, 3, f));  // trailing bytes
  EXPECT_FALSE(protocol::decode_text_row(b, 5, f));  // too short
  // The payload prefix of the first 3 fields re-parses as those fields.
  const std::size_t n = prefix_length(b, 3);
  ASSERT_TRUE(protocol::decode_text_row(protocol::byte_span(b).subspan(0, n), 3, f));
  EXPECT_EQ(f[2]->size(), 300u);
}

TEST(compare_rows, ties_nulls_desc_and_weights) {
  // Column 0: integer; column 1: text whose weights are in column 2.
  std::vector<resolved_key> keys{{0, -1, false, false, value_class::signed_int},
                                 {1, 2, true, false, value_class::collated}};
  auto row = [](field a, field b, field w) { return row_fields{a, b, w}; };
  const auto a = row("1", "B", "b");
  const auto b = row("1", "a", "a");
  const auto n = row(std::nullopt, "z", "z");
  EXPECT_GT(compare_rows(a, b, keys), 0);  // same first key; "B" > "a" by weight, DESC
  keys[1].descending = true;
  EXPECT_LT(compare_rows(a, b, keys), 0);
  EXPECT_LT(compare_rows(n, a, keys), 0);  // NULL first ascending
  keys[0].descending = true;
  EXPECT_GT(compare_rows(n, a, keys), 0);  // NULL last descending
  EXPECT_EQ(compare_rows(a, a, keys), 0);
}

TEST(merge_heap, k_way_merge_is_sorted_and_stable) {
  const std::vector<resolved_key> keys{{0, -1, false, false, value_class::signed_int}};
  std::vector<std::vector<field>> sources{
      {"1", "4", "4", "9"}, {std::nullopt, "4", "10"}, {}, {"2", "3"}};
  std::vector<std::size_t> pos(sources.size(), 0);
  std::vector<row_fields> rows(sources.size());
  merge_heap heap(keys);
  for (std::size_t k = 0; k < sources.size(); ++k)
    if (!sources[k].empty()) {
      rows[k] = {sources[k][0]};
      heap.push(k, rows);
    }
  std::vector<std::string> out;
  std::vector<std::size_t> from;
  while (!heap.empty()) {
    const std::size_t k = heap.pop(rows);
    out.push_back(rows[k][0] ? std::string(*rows[k][0]) : "NULL");
    from.push_back(k);
    if (++pos[k] < sources[k].size()) {
      rows[k] = {sources[k][pos[k]]};
      heap.push(k, rows);
    }
  }
  EXPECT_EQ(out, (std::vector<std::string>{"NULL", "1", "2", "3", "4", "4", "4", "9", "10"}));
  // Ties come out source by source (stable): both 4s of source 0 before source 1's.
  EXPECT_EQ(from, (std::vector<std::size_t>{1, 0, 3, 3, 0, 0, 1, 0, 1}));
}

TEST(limiter, offsets_counts_and_edges) {
  auto run = [](bool has, std::uint64_t o, std::uint64_t n, int rows) {
    limiter l(has, o, n);
    std::string s;
    for (int i = 0; i < rows; ++i) {
      const auto v = l.next();
      if (v == limiter::verdict::done) break;
      s += v == limiter::verdict::emit ? 'e' : 's';
    }
    return s;
  };
  EXPECT_EQ(run(false, 0, 0, 3), "eee");
  EXPECT_EQ(run(true, 0, 0, 3), "");  // LIMIT 0
  EXPECT_EQ(run(true, 0, 2, 3), "ee");
  EXPECT_EQ(run(true, 2, 2, 5), "ssee");
  EXPECT_EQ(run(true, 10, 2, 5), "sssss");  // offset past the end
  EXPECT_TRUE(limiter(true, 0, 0).finished());
}

TEST(distinct_filter, by_weights_and_values) {
  const std::vector<resolved_key> keys{{0, 1, true, false, value_class::collated},
                                       {2, -1, false, false, value_class::signed_int}};
  distinct_filter d;
  EXPECT_TRUE(d.first_time({"a", "A", "1"}, keys));
  EXPECT_FALSE(d.first_time({"A", "A", "1"}, keys));  // same weight: same value
  EXPECT_TRUE(d.first_time({"A", "A", "2"}, keys));
  EXPECT_TRUE(d.first_time({std::nullopt, std::nullopt, "2"}, keys));
  EXPECT_FALSE(d.first_time({std::nullopt, std::nullopt, "2"}, keys));
  EXPECT_TRUE(d.first_time({"", "", "2"}, keys));  // empty string is not NULL
  EXPECT_EQ(d.size(), 4u);
}

// SELECT status, COUNT(*), SUM(amount), AVG(amount), MIN(note), COUNT(DISTINCT member)
// ... GROUP BY status, as shard rows: visible 0..5, hidden: 0 weight(status),
// 1 SUM(amount) 2 COUNT(amount) (avg), 3 WEIGHT_STRING(MIN(note)), 4 member, 5 weight(member).
struct grouped : ::testing::Test {
  routing::merge_spec spec;
  row_layout layout;
  void SetUp() override {
    spec.mode = routing::merge_mode::aggregate;
    spec.hidden = 6;
    spec.visible_items = 6;
    spec.group.push_back(merge_key{vis(0), hid(0), false});
    auto agg = [&](aggregate_kind k, column_slot out, column_slot partial) {
      merge_aggregate a;
      a.kind = k;
      a.output = out;
      a.partial = partial;
      spec.aggregates.push_back(a);
      return &spec.aggregates.back();
    };
    agg(aggregate_kind::count, vis(1), vis(1));
    agg(aggregate_kind::sum, vis(2), vis(2));
    agg(aggregate_kind::avg, vis(3), hid(1))->count = hid(2);
    agg(aggregate_kind::min, vis(4), vis(4))->weight = hid(3);
    auto* cd = agg(aggregate_kind::count_distinct, vis(5), {});
    cd->distinct_value = hid(4);
    cd->distinct_weight = hid(5);
  }
  std::vector<column_definition> columns() {
    return {col(column_type::var_string, 0, 45),
            col(column_type::longlong),
            col(column_type::newdecimal, 2),
            col(column_type::newdecimal, 6),
            col(column_type::var_string, 0, 45),
            col(column_type::longlong),
            col(column_type::var_string),
            col(column_type::newdecimal, 2),
            col(column_type::longlong),
            col(column_type::var_string),
            col(column_type::long_),
            col(column_type::var_string)};
  }
  std::vector<owned_row> run(const std::vector<owned_row>& input, std::string* error = nullptr) {
    std::string why;
    EXPECT_TRUE(layout.resolve(spec, columns(), why)) << why;
    aggregator agg(spec, layout, 100);
    row_fields f;
    for (const auto& r : input) {
      view_of(r, f);
      EXPECT_TRUE(agg.add(f, why)) << why;
    }
    std::vector<owned_row> out;
    const bool ok = agg.finish(out, why);
    if (error)
      *error = ok ? "" : why;
    else
      EXPECT_TRUE(ok) << why;
    for (auto& r : out) r.resize(6);
    return out;
  }
};

TEST_F(grouped, folds_partials_from_several_shards) {
  using o = std::optional<std::string>;
  const auto out = run({
      // status, count, sum, avg(ignored), min(note), cd(ignored) | w(status), sum, count, w(min),
      // member, w(member)
      {"paid", "2", "10.50", "5.250000", "b", "1", "PAID", "10.50", "2", "B", "7", "7"},
      {"new", "1", std::nullopt, std::nullopt, std::nullopt, "0", "NEW", std::nullopt, "0",
       std::nullopt, std::nullopt, std::nullopt},
      {"Paid", "3", "-0.50", "-0.166667", "A", "1", "PAID", "-0.50", "3", "A", "8", "8"},
      {"paid", "1", "1.00", "1.000000", "c", "1", "PAID", "1.00", "1", "C", "7", "7"},
  });
  ASSERT_EQ(out.size(), 2u);
  // GROUP BY order (by weight): NEW before PAID; the group shows its first row's value.
  EXPECT_EQ(out[0],
            (owned_row{o("new"), o("1"), std::nullopt, std::nullopt, std::nullopt, o("0")}));
  EXPECT_EQ(out[1], (owned_row{o("paid"), o("6"), o("11.00"), o("1.833333"), o("A"), o("2")}));
}

TEST_F(grouped, having_and_order_by_an_aggregate) {
  using o = std::optional<std::string>;
  // HAVING COUNT(*) > 1 AND SUM(amount) IS NOT NULL ... ORDER BY SUM DESC
  routing::having_node count_col, lit, cmp, sum_col, isnull, both;
  count_col.kind = routing::having_node::op::column;
  count_col.column = vis(1);
  lit.kind = routing::having_node::op::literal;
  lit.text = "1";
  cmp.kind = routing::having_node::op::compare;
  cmp.compare_op = sql::operator_id(">");
  cmp.children = {0, 1};
  sum_col.kind = routing::having_node::op::column;
  sum_col.column = vis(2);
  isnull.kind = routing::having_node::op::is_null;
  isnull.negated = true;
  isnull.children = {3};
  both.kind = routing::having_node::op::and_;
  both.children = {2, 4};
  spec.having = {count_col, lit, cmp, sum_col, isnull, both};
  spec.having_root = 5;
  spec.order.push_back(merge_key{vis(2), {}, true});
  const auto out = run({
      {"a", "2", "1.00", "", "x", "0", "A", "1.00", "2", "X", std::nullopt, std::nullopt},
      {"b", "5", "9.00", "", "x", "0", "B", "9.00", "5", "X", std::nullopt, std::nullopt},
      {"c", "1", "99.00", "", "x", "0", "C", "99.00", "1", "X", std::nullopt, std::nullopt},
      {"d", "3", std::nullopt, "", "x", "0", "D", std::nullopt, "0", "X", std::nullopt,
       std::nullopt},
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0][0], o("b"));
  EXPECT_EQ(out[1][0], o("a"));
}

TEST_F(grouped, having_refuses_text_under_a_collation) {
  routing::having_node c, lit, cmp;
  c.kind = routing::having_node::op::column;
  c.column = vis(0);
  lit.kind = routing::having_node::op::literal;
  lit.text = "paid";
  lit.string_literal = true;
  cmp.kind = routing::having_node::op::compare;
  cmp.compare_op = sql::operator_id("=");
  cmp.children = {0, 1};
  spec.having = {c, lit, cmp};
  spec.having_root = 2;
  std::string error;
  run({{"paid", "1", "1", "1", "a", "1", "P", "1", "1", "A", "1", "1"}}, &error);
  EXPECT_NE(error.find("the merge compares numbers"), std::string::npos) << error;
}

TEST_F(grouped, scalar_aggregate_over_no_rows_answers_one_row) {
  using o = std::optional<std::string>;
  spec.group.clear();
  const auto out = run({});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            (owned_row{std::nullopt, o("0"), std::nullopt, std::nullopt, std::nullopt, o("0")}));
}

TEST_F(grouped, too_many_groups_is_an_error_not_unbounded_memory) {
  std::string why;
  ASSERT_TRUE(layout.resolve(spec, columns(), why));
  aggregator agg(spec, layout, 2);
  row_fields f;
  for (const char* s : {"a", "b", "c"}) {
    const owned_row r{s, "1", "1", "1", "a", "1", s, "1", "1", "A", "1", "1"};
    view_of(r, f);
    if (!agg.add(f, why)) break;
  }
  EXPECT_TRUE(agg.over_limit());
  EXPECT_NE(why.find("routing.merge_max_rows"), std::string::npos) << why;
}

TEST_F(grouped, a_double_sum_that_overflows_is_an_error) {
  spec.aggregates[1].output = spec.aggregates[1].partial = vis(2);
  std::string why;
  auto cols = columns();
  cols[2] = col(column_type::double_);
  ASSERT_TRUE(layout.resolve(spec, cols, why)) << why;
  aggregator agg(spec, layout, 100);
  row_fields f;
  for (int k = 0; k < 2; ++k) {
    const owned_row r{"a", "1", "1.5e308", "1", "a", "1", "A", "1", "1", "A", "1", "1"};
    view_of(r, f);
    ASSERT_TRUE(agg.add(f, why)) << why;
  }
  std::vector<owned_row> out;
  EXPECT_FALSE(agg.finish(out, why));
  EXPECT_TRUE(agg.out_of_range());
  EXPECT_NE(why.find("out of range"), std::string::npos) << why;
}

TEST_F(grouped, distinct_values_count_against_the_memory_bound) {
  std::string why;
  ASSERT_TRUE(layout.resolve(spec, columns(), why));
  aggregator agg(spec, layout, 5);
  row_fields f;
  bool refused = false;
  for (int k = 0; k < 10 && !refused; ++k) {
    const std::string m = std::to_string(k);
    const owned_row r{"a", "1", "1", "1", "a", "1", "A", "1", "1", "A", m, m};
    view_of(r, f);
    refused = !agg.add(f, why);
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(agg.over_limit());
}

TEST(row_layout, checks_the_columns_fit_the_plan) {
  routing::merge_spec spec;
  spec.hidden = 2;
  spec.visible_items = 2;
  spec.order.push_back(merge_key{hid(0), hid(1), false});
  row_layout l;
  std::string why;
  EXPECT_FALSE(l.resolve(spec, {col(column_type::long_), col(column_type::long_)}, why));
  EXPECT_FALSE(l.resolve(spec, std::vector<column_definition>(5, col(column_type::long_)), why));
  std::vector<column_definition> cols(4, col(column_type::long_));
  ASSERT_TRUE(l.resolve(spec, cols, why)) << why;
  EXPECT_EQ(l.visible, 2u);
  EXPECT_EQ(l.order[0].value, 2);
  EXPECT_EQ(l.order[0].weight, 3);
  EXPECT_FALSE(l.order[0].use_weight);  // an integer orders by value
  cols[2] = col(column_type::var_string, 0, 45);
  ASSERT_TRUE(l.resolve(spec, cols, why));
  EXPECT_TRUE(l.order[0].use_weight);  // text orders by its collation weights
  cols[2] = col(column_type::float_);
  EXPECT_FALSE(l.resolve(spec, cols, why));  // FLOAT text is rounded: distinct values print alike
  EXPECT_NE(why.find("FLOAT"), std::string::npos) << why;
  cols[2] = col(column_type::string, 0, 45);
  cols[2].flags = 0x100;  // ENUM: its order is its index, not in the text
  EXPECT_FALSE(l.resolve(spec, cols, why));
  EXPECT_NE(why.find("ENUM"), std::string::npos) << why;
}

}  // namespace
}  // namespace shardgate::merge
