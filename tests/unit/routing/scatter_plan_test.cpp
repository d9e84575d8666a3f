// Planning merged scatter reads: the statement each shard runs and the merge spec.
#include <gtest/gtest.h>

#include "router_harness.hpp"

namespace shardgate::routing {
namespace {

using test_harness::make_topology;

struct planned {
  route_plan plan;
  std::string sql;  // the shards' statement ("" when not merged)
};

planned plan_of(const char* sql) {
  static auto topo = make_topology();
  router r(topo);
  planned p;
  r.route(sql, session_view{"shop", false, false}, p.plan, true);
  if (p.plan.action == route_action::fan_out && p.plan.combine == route_combine::merge)
    p.sql = p.plan.texts[0];
  return p;
}

TEST(scatter_plan, order_by_and_limit_stream) {
  auto p = plan_of("SELECT order_no, total FROM orders ORDER BY total DESC, 1 LIMIT 10, 5");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT order_no, total, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(total, 0), ' "
            "'))) USING binary), WEIGHT_STRING(CONCAT(LEFT(total, 0), ' ')), WEIGHT_STRING(total)) "
            "AS `__sg0`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(order_no, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(order_no, 0), ' ')), WEIGHT_STRING(order_no)) AS "
            "`__sg1` FROM orders ORDER BY total DESC, 1 LIMIT 15");
  const merge_spec& m = p.plan.merge;
  EXPECT_EQ(m.mode, merge_mode::sort);
  EXPECT_EQ(m.visible_items, 2);
  EXPECT_EQ(m.hidden, 2);
  ASSERT_EQ(m.order.size(), 2u);
  EXPECT_EQ(m.order[0].value, (column_slot{false, 1}));
  EXPECT_EQ(m.order[0].weight, (column_slot{true, 0}));
  EXPECT_TRUE(m.order[0].descending);
  EXPECT_EQ(m.order[1].value, (column_slot{false, 0}));
  EXPECT_FALSE(m.order[1].descending);
  EXPECT_TRUE(m.has_limit);
  EXPECT_EQ(m.offset, 10u);
  EXPECT_EQ(m.count, 5u);
}

TEST(scatter_plan, order_by_alias_and_hidden_expression) {
  auto p = plan_of(
      "SELECT order_no AS n FROM orders WHERE total > 5 ORDER BY n, created ASC LIMIT 3 OFFSET 2 "
      "FOR UPDATE");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT order_no AS n, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(order_no, 0), ' "
            "'))) USING binary), WEIGHT_STRING(CONCAT(LEFT(order_no, 0), ' ')), "
            "WEIGHT_STRING(order_no)) AS `__sg0`, created AS `__sg1`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(created, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(created, 0), ' ')), WEIGHT_STRING(created)) AS `__sg2` FROM "
            "orders WHERE total > 5 ORDER BY n, "
            "created ASC "
            "LIMIT 5 FOR UPDATE");
  EXPECT_EQ(p.plan.merge.order[1].value, (column_slot{true, 1}));
  EXPECT_EQ(p.plan.merge.offset, 2u);
  EXPECT_EQ(p.plan.merge.count, 3u);
}

TEST(scatter_plan, select_star_sorts_by_hidden_copies) {
  auto p = plan_of("SELECT * FROM orders ORDER BY created DESC LIMIT 10");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT *, created AS `__sg0`, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(created, "
            "0), ' '))) USING binary), WEIGHT_STRING(CONCAT(LEFT(created, 0), ' ')), "
            "WEIGHT_STRING(created)) AS `__sg1` FROM orders ORDER BY "
            "created DESC LIMIT 10");
  EXPECT_EQ(p.plan.merge.visible_items, -1);
}

TEST(scatter_plan, aggregates_without_group) {
  auto p =
      plan_of("SELECT COUNT(*), SUM(total), AVG(total), MIN(order_no) FROM orders WHERE total > 0");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT COUNT(*), SUM(total), AVG(total), MIN(order_no), SUM(total) AS `__sg0`, "
            "COUNT(total) AS `__sg1`, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(MIN(order_no), "
            "0), ' '))) USING binary), WEIGHT_STRING(CONCAT(LEFT(MIN(order_no), 0), ' ')), "
            "WEIGHT_STRING(MIN(order_no))) AS `__sg2` FROM orders WHERE "
            "total > 0");
  const merge_spec& m = p.plan.merge;
  EXPECT_EQ(m.mode, merge_mode::aggregate);
  EXPECT_TRUE(m.group.empty());
  ASSERT_EQ(m.aggregates.size(), 4u);
  EXPECT_EQ(m.aggregates[2].kind, aggregate_kind::avg);
  EXPECT_EQ(m.aggregates[2].output, (column_slot{false, 2}));
  EXPECT_EQ(m.aggregates[2].partial, (column_slot{true, 0}));
  EXPECT_EQ(m.aggregates[2].count, (column_slot{true, 1}));
  EXPECT_EQ(m.aggregates[3].weight, (column_slot{true, 2}));
}

TEST(scatter_plan, group_by_having_order_limit) {
  auto p = plan_of(
      "SELECT member_id, COUNT(*) AS c FROM orders GROUP BY member_id HAVING c > 1 AND "
      "SUM(total) >= 10.5 ORDER BY c DESC, member_id LIMIT 5");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  // No HAVING, ORDER BY or LIMIT on the shards: they hold partial groups.
  EXPECT_EQ(
      p.sql,
      "SELECT member_id, COUNT(*) AS c, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, "
      "0), ' '))) USING binary), WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), "
      "WEIGHT_STRING(member_id)) AS `__sg0`, SUM(total) AS "
      "`__sg1`, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' '))) USING binary), "
      "WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), WEIGHT_STRING(member_id)) AS `__sg2` FROM "
      "orders GROUP BY member_id ORDER BY "
      "NULL");
  const merge_spec& m = p.plan.merge;
  EXPECT_EQ(m.mode, merge_mode::aggregate);
  ASSERT_EQ(m.group.size(), 1u);
  EXPECT_GE(m.having_root, 0);
  ASSERT_EQ(m.order.size(), 2u);
  EXPECT_EQ(m.order[0].value, (column_slot{false, 1}));
  EXPECT_TRUE(m.order[0].descending);
  EXPECT_TRUE(m.has_limit);
}

TEST(scatter_plan, count_distinct_groups_the_shards_by_its_argument) {
  auto p = plan_of("SELECT status, COUNT(DISTINCT member_id) FROM orders GROUP BY status");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT status, COUNT(DISTINCT member_id), member_id AS `__sg0`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), WEIGHT_STRING(member_id)) AS `__sg1`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(status, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(status, 0), ' ')), WEIGHT_STRING(status)) AS `__sg2` "
            "FROM orders "
            "GROUP BY status, member_id ORDER BY NULL");
  auto q = plan_of("SELECT COUNT(DISTINCT member_id) FROM orders");
  EXPECT_EQ(q.sql,
            "SELECT COUNT(DISTINCT member_id), member_id AS `__sg0`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), WEIGHT_STRING(member_id)) AS "
            "`__sg1` FROM orders GROUP BY member_id ORDER BY NULL");
}

TEST(scatter_plan, distinct) {
  auto p = plan_of("SELECT DISTINCT status, member_id FROM orders ORDER BY member_id LIMIT 4");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT DISTINCT status, member_id, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(status, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(status, 0), ' ')), WEIGHT_STRING(status)) AS `__sg0`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), WEIGHT_STRING(member_id)) AS `__sg1`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), WEIGHT_STRING(member_id)) AS "
            "`__sg2` FROM orders "
            "ORDER BY member_id LIMIT 4");
  EXPECT_TRUE(p.plan.merge.distinct);
  EXPECT_EQ(p.plan.merge.distinct_keys.size(), 2u);
}

TEST(scatter_plan, refusals_name_the_construct) {
  const std::pair<const char*, const char*> cases[] = {
      {"SELECT GROUP_CONCAT(order_no) FROM orders", "GROUP_CONCAT()"},
      {"SELECT STD(total) FROM orders", "STD()"},
      {"SELECT SUM(total) * 2 FROM orders", "an expression over an aggregate (SUM(total) * 2)"},
      {"SELECT SUM(DISTINCT total) FROM orders",
       "SUM(DISTINCT total) (only COUNT(DISTINCT x) is merged)"},
      {"SELECT COUNT(DISTINCT a), COUNT(DISTINCT b) FROM orders",
       "COUNT(DISTINCT) of two different expressions"},
      {"SELECT COUNT(DISTINCT a, b) FROM orders", "several expressions"},
      {"SELECT DISTINCT * FROM orders", "SELECT DISTINCT *"},
      {"SELECT DISTINCT status FROM orders ORDER BY total", "not in the SELECT DISTINCT list"},
      {"SELECT * FROM orders LIMIT ?", "LIMIT ?"},
      {"SELECT * FROM orders ORDER BY 1", "ORDER BY 1 (a position with SELECT *)"},
      {"SELECT order_no FROM orders ORDER BY 3", "ORDER BY 3 (no such select list column)"},
      {"SELECT member_id, COUNT(*) FROM orders GROUP BY member_id WITH ROLLUP", "WITH ROLLUP"},
      {"SELECT member_id FROM orders GROUP BY member_id HAVING COUNT(*) + 1 > 2",
       "arithmetic in HAVING"},
      {"SELECT member_id FROM orders GROUP BY member_id HAVING LENGTH(member_id) > 2",
       "a function call in HAVING"},
      {"SELECT *, COUNT(*) FROM orders", "SELECT * with aggregates"},
      {"SELECT member_id FROM orders GROUP BY member_id ORDER BY SUM(total) / COUNT(*)",
       "ORDER BY an expression over an aggregate"},
      {"SELECT ROW_NUMBER() OVER (ORDER BY total) FROM orders", "a window function"},
      {"SELECT SUM(total / 9) FROM orders", "a sum of a division"},
      {"SELECT AVG(total / 9) FROM orders", "a sum of a division"},
      {"SELECT member_id FROM orders GROUP BY member_id HAVING (COUNT(*) > 3) = 1",
       "a condition used as a value"},
      {"SELECT COUNT(DISTINCT a FROM b) FROM orders", "an unreadable aggregate argument"},
      // From the code review: conditions as values, '!', deep HAVING, COUNT(DISTINCT) rows.
      {"SELECT member_id FROM orders GROUP BY member_id HAVING 1 = (COUNT(*) > 1)",
       "a condition used as a value"},
      {"SELECT member_id FROM orders GROUP BY member_id HAVING COUNT(*) BETWEEN (1 > 0) AND 5",
       "a condition used as a value"},
      {"SELECT member_id FROM orders GROUP BY member_id HAVING !COUNT(*) = 5", "'!' in HAVING"},
      {"SELECT 'x' AS tag, COUNT(DISTINCT member_id) FROM orders",
       "COUNT(DISTINCT) without GROUP BY next to"},
      {"SELECT * FROM orders UNION ALL SELECT * FROM orders", "UNION"},
      {"(SELECT * FROM orders) ORDER BY total", "cannot"},
      {"SELECT /*!50000 order_no */ FROM orders ORDER BY order_no", "executable comments"},
  };
  for (const auto& [sql, why] : cases) {
    auto p = plan_of(sql);
    EXPECT_EQ(p.plan.action, route_action::refuse) << sql;
    EXPECT_NE(p.plan.error.message.find(why), std::string::npos)
        << sql << " -> " << p.plan.error.message;
  }
}

TEST(scatter_plan, after_a_star_items_are_sorted_by_copies) {
  // The item's column number after `*` is unknown: a hidden copy of its expression.
  auto p = plan_of("SELECT *, order_no AS k FROM orders ORDER BY k LIMIT 5");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_EQ(p.sql,
            "SELECT *, order_no AS k, order_no AS `__sg0`, "
            "CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(order_no, 0), ' '))) USING binary), "
            "WEIGHT_STRING(CONCAT(LEFT(order_no, 0), ' ')), WEIGHT_STRING(order_no)) AS `__sg1` "
            "FROM orders ORDER BY k LIMIT 5");
  EXPECT_EQ(p.plan.merge.order[0].value, (column_slot{true, 0}));
}

TEST(scatter_plan, having_is_bounded_and_bang_of_a_condition_is_not) {
  std::string deep = "SELECT member_id FROM orders GROUP BY member_id HAVING COUNT(*) > 1";
  for (int k = 0; k < 300; ++k) deep += " AND COUNT(*) > 1";
  auto p = plan_of(deep.c_str());
  EXPECT_EQ(p.plan.action, route_action::refuse);
  EXPECT_NE(p.plan.error.message.find("256 terms"), std::string::npos) << p.plan.error.message;
  std::string nested = "SELECT member_id FROM orders GROUP BY member_id HAVING ";
  for (int k = 0; k < 100; ++k) nested += "NOT ";
  nested += "COUNT(*) > 1";
  EXPECT_EQ(plan_of(nested.c_str()).plan.action, route_action::refuse);
  auto bang =
      plan_of("SELECT member_id FROM orders GROUP BY member_id HAVING !(COUNT(*) > 3) AND 1");
  EXPECT_EQ(bang.plan.combine, route_combine::merge) << bang.plan.error.message;
}

TEST(scatter_plan, a_name_after_an_operator_word_is_no_alias) {
  auto p = plan_of("SELECT DISTINCT order_no COLLATE utf8mb4_bin FROM orders");
  ASSERT_EQ(p.plan.combine, route_combine::merge) << p.plan.error.message;
  EXPECT_NE(p.sql.find("WEIGHT_STRING(order_no COLLATE utf8mb4_bin)"), std::string::npos) << p.sql;
  auto q = plan_of("SELECT total DIV member_id FROM orders ORDER BY member_id LIMIT 2");
  ASSERT_EQ(q.plan.combine, route_combine::merge) << q.plan.error.message;
  EXPECT_EQ(q.plan.merge.order[0].value, (column_slot{true, 0}));  // not item 0
}

TEST(scatter_plan, single_shard_statements_are_not_rewritten) {
  auto p = plan_of(
      "SELECT COUNT(*) FROM orders WHERE order_no = 'ORD2026112200000001' ORDER BY 1 LIMIT 3");
  EXPECT_EQ(p.plan.action, route_action::single);
  EXPECT_FALSE(p.plan.rewritten);
}

}  // namespace
}  // namespace shardgate::routing
