// Router decisions, table-driven: statement -> action, clusters, or a refusal.
#include "routing/router.hpp"
#include "router_harness.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace shardgate::routing {
namespace {

using namespace test_harness;

// seq 00000001 -> s1, 00000002 -> s0 (two shards before 2026-12-01); from 2026-12-01 four.
TEST(router, point_reads_by_order_number) {
  check({
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000002'", "s0"},
      {"select * from orders where ORDER_NO='ORD2026112200000003'", "s1"},
      {"SELECT * FROM `orders` WHERE `order_no` = \"ORD2026112200000004\"", "s0"},
      {"SELECT * FROM shop.orders o WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders AS o WHERE o.order_no = 'ORD2026112200000001' AND o.total > 5", "s1"},
      {"SELECT * FROM orders WHERE total > 5 AND (order_no = 'ORD2026112200000001')", "s1"},
      {"SELECT * FROM orders WHERE 'ORD2026112200000001' = order_no", "s1"},
      {"SELECT * FROM orders WHERE shop.orders.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no <=> 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = _utf8mb4'ORD2026112200000001'", "s1"},
      {"SELECT /* order_no = 'ORD2026112200000002' */ * FROM orders WHERE order_no = "
       "'ORD2026112200000001'",
       "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026120100000006'", "s2"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026113000000006'", "s0"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026120100000007' FOR UPDATE", "s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026120100000007' LIMIT 1", "s3"},
      {"SELECT COUNT(*) FROM orders WHERE order_no = 'ORD2026120100000007'", "s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026120100000007' ORDER BY total", "s3"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = "
       "'ORD2026112200000001'",
       "s1"},
  });
}

TEST(router, keys_it_must_not_trust) {
  check({
      // An OR with anything that is not a key equality opens every shard.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' OR 1=1", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = other_col", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' || 1", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' XOR x = 1", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE NOT order_no = 'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no != 'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no NOT IN ('ORD2026112200000001')", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' COLLATE utf8mb4_bin",
       "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026' '112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = CONCAT('ORD', '2026112200000001')", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 20261122", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = ?", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no LIKE 'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE (order_no = 'ORD2026112200000001') = 1", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' = 0", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' IS FALSE", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no IS NULL", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no <=> NULL", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD-not-a-number'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE CASE WHEN order_no = 'ORD2026112200000001' THEN 1 END",
       "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE x.order_no = 'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders o WHERE orders.order_no = 'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' + 0", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = BINARY 'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = _sjis'ORD2026112200000001'", "s0,s1,s2,s3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND order_no = "
       "'ORD2026112200000002'",
       "s1"},
      {"SELECT * FROM orders WHERE order_no IN (SELECT order_no FROM order_items)",
       "refuse:subquery"},
      {"SELECT * FROM orders WHERE order_no = (SELECT MAX(order_no) FROM orders)",
       "refuse:subquery"},
      {"SELECT * FROM orders WHERE order_no = NULL", "s0"},
  });
}

TEST(router, in_lists_or_lists_and_between) {
  check({
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000003')",
       "s1"},
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002')",
       "s0,s1", "SELECT * FROM orders WHERE order_no IN ('ORD2026112200000002')"},
      {"SELECT * FROM orders WHERE order_no IN "
       "('ORD2026112200000001','ORD2026112200000002','ORD2026112200000004') AND total > 1",
       "s0,s1",
       "SELECT * FROM orders WHERE order_no IN ('ORD2026112200000002', 'ORD2026112200000004') AND "
       "total > 1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' OR order_no = "
       "'ORD2026112200000003'",
       "s1"},
      {"SELECT * FROM orders WHERE (order_no = 'ORD2026112200000001' OR order_no = "
       "'ORD2026112200000002') AND total > 0",
       "s0,s1"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 AND 20", "s0"},
      {"SELECT * FROM members WHERE member_id BETWEEN 999 AND 1000", "s0,s1"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 AND 5000", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 1500", "s1"},
      {"SELECT * FROM members WHERE member_id = -5", "s0"},
      {"SELECT * FROM members WHERE member_id = '1500'", "s1"},
      {"SELECT * FROM members WHERE member_id = 1500.5", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 0x10", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id NOT BETWEEN 10 AND 20", "s0,s1,s2"},
      {"SELECT * FROM accounts WHERE id BETWEEN 4 AND 5", "s0,s1"},
      {"SELECT * FROM accounts WHERE id IN (1, 5, 9)", "s1"},
      {"SELECT * FROM events WHERE day = '2025-06-01'", "s3"},
      {"SELECT * FROM events WHERE day BETWEEN '2025-12-30' AND '2026-01-02'", "s2,s3"},
      {"SELECT * FROM events WHERE day = '2026-01-01 00:00:00'", "s2,s3"},
      {"SELECT * FROM coupons WHERE code = 'C1'", "s1"},
      {"SELECT * FROM coupons WHERE code = 'c1 '", "s1"},
      {"SELECT * FROM coupons WHERE code = 'C3'", "s3"},
      {"SELECT * FROM coupons WHERE code = 'unknown'", "s1,s2,s3"},
  });
}

TEST(router, scatter_reads_only_when_concatenation_is_exact) {
  check({
      {"SELECT * FROM orders", "s0,s1,s2,s3"},
      {"SELECT order_no, total FROM orders WHERE total > 100", "s0,s1,s2,s3"},
      {"SELECT LEFT(order_no, 3), EXTRACT(YEAR FROM created) FROM orders", "s0,s1,s2,s3"},
      {"SELECT * FROM orders FOR UPDATE", "s0,s1,s2,s3"},
      // Merged by ShardGate (see scatter_plan_test for the plans).
      {"SELECT COUNT(*) FROM orders", "s0,s1,s2,s3", "SELECT COUNT(*) FROM orders"},
      {"SELECT * FROM orders ORDER BY total", "s0,s1,s2,s3",
       "SELECT *, total AS `__sg0`, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(total, 0), ' '))) "
       "USING binary), WEIGHT_STRING(CONCAT(LEFT(total, 0), ' ')), WEIGHT_STRING(total)) AS "
       "`__sg1` FROM orders ORDER BY "
       "total"},
      {"SELECT * FROM orders LIMIT 10", "s0,s1,s2,s3", "SELECT * FROM orders LIMIT 10"},
      {"SELECT DISTINCT member_id FROM orders", "s0,s1,s2,s3",
       "SELECT DISTINCT member_id, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' "
       "'))) USING binary), WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), "
       "WEIGHT_STRING(member_id)) AS `__sg0` FROM orders"},
      {"SELECT member_id, SUM(total) FROM orders GROUP BY member_id", "s0,s1,s2,s3",
       "SELECT member_id, SUM(total), CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(member_id, 0), "
       "' '))) USING binary), WEIGHT_STRING(CONCAT(LEFT(member_id, 0), ' ')), "
       "WEIGHT_STRING(member_id)) AS `__sg0` FROM orders GROUP "
       "BY "
       "member_id ORDER BY NULL"},
      {"SELECT member_id FROM orders GROUP BY member_id", "s0,s1,s2,s3"},
      {"SELECT GROUP_CONCAT(member_id) FROM orders", "refuse:GROUP_CONCAT()"},
      {"SELECT member_id, SUM(total) + 1 FROM orders GROUP BY member_id",
       "refuse:an expression over an aggregate (SUM(total) + 1)"},
      {"SELECT * FROM orders UNION SELECT * FROM orders", "refuse:"},
      {"SELECT ROW_NUMBER() OVER () FROM orders", "refuse:window"},
      {"SELECT LAST_INSERT_ID() FROM orders", "refuse:per-connection"},
      {"SELECT * FROM (SELECT * FROM orders) t", "refuse:"},
      {"WITH t AS (SELECT * FROM orders) SELECT * FROM t", "refuse:"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no", "s0,s1,s2,s3"},
      // USING (key) equates the keys as ON does.
      {"SELECT * FROM orders o JOIN order_items i USING (order_no)", "s0,s1,s2,s3"},
      {"SELECT * FROM orders JOIN order_items USING (line_no, order_no) WHERE order_no = "
       "'ORD2026112200000001'",
       "s1"},
      {"SELECT COUNT(*) FROM orders o LEFT JOIN order_items i USING (order_no)", "s0,s1,s2,s3"},
      {"SELECT * FROM orders o JOIN order_items i USING (total)",
       "refuse:not joined on their shard keys"},
      {"SELECT * FROM orders o JOIN order_items i ON o.total = i.price",
       "refuse:not joined on their shard keys"},
      {"SELECT * FROM orders o JOIN members m ON o.member_id = m.member_id WHERE o.order_no = "
       "'ORD2026112200000001'",
       "refuse:sharded independently"},
      {"SELECT * FROM orders o JOIN shops s ON o.shop_id = s.id", "refuse:unsharded table shops"},
  });
}

TEST(router, unsharded_and_other_statements) {
  check({
      {"SELECT 1", "s0"},
      {"SELECT @@version", "s0"},
      {"SELECT * FROM shops WHERE id = 1", "s0"},
      {"SELECT * FROM other_db.t", "s0"},
      {"SET NAMES utf8mb4", "s0"},
      {"BEGIN", "s0"},
      {"SHOW TABLES", "s0"},
      {"DESCRIBE orders", "s0"},
      {"SHOW CREATE TABLE members", "s0"},
      {"EXPLAIN SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"/* shardgate: shard=s3 */ SELECT * FROM orders", "s3"},
      {"/* shardgate: shard=nope */ SELECT 1", "refuse:nope"},
      {"LOCK TABLES orders WRITE", "refuse:"},
      {"PREPARE s FROM 'SELECT * FROM orders'", "refuse:PREPARE"},
      {"SELECT * FROM orders WHERE order_no = 'unterminated", "refuse:cannot route"},
      {"SELEKT * FROM shops", "s0"},
  });
}

TEST(router, writes) {
  check({
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5)", "s1"},
      {"INSERT INTO orders (total, order_no) VALUES (5, 'ORD2026112200000002')", "s0"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5), "
       "('ORD2026112200000002', 6)",
       "s0,s1", "INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000002', 6)"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5), "
       "('ORD2026112200000002', 6) ON DUPLICATE KEY UPDATE total = VALUES(total)",
       "s0,s1",
       "INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000002', 6) ON DUPLICATE KEY "
       "UPDATE total = VALUES(total)"},
      {"REPLACE INTO orders (order_no) VALUES ('ORD2026112200000003')", "s1"},
      {"INSERT INTO orders SET order_no = 'ORD2026112200000003', total = 1", "s1"},
      {"INSERT INTO orders (order_no, total) VALUES ('BAD', 5)",
       "refuse:Incorrect shard key value 'BAD'"},
      {"INSERT INTO orders (order_no, total) VALUES (NULL, 5)", "refuse:cannot be null"},
      {"INSERT INTO orders (order_no, total) VALUES (CONCAT('ORD', '1'), 5)", "refuse:literal"},
      {"INSERT INTO orders (total) VALUES (5)", "refuse:doesn't have a default value"},
      {"INSERT INTO orders VALUES ('ORD2026112200000001', 5)", "refuse:column list"},
      {"INSERT INTO orders (order_no) SELECT order_no FROM order_items", "refuse:"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5) ON DUPLICATE KEY "
       "UPDATE order_no = 'x'",
       "refuse:change shard key"},
      {"INSERT INTO members (member_id) VALUES (5), (1500), (99999)", "s0,s1,s2"},
      {"INSERT INTO coupons (code) VALUES ('nope')", "refuse:not in directory"},
      {"INSERT INTO shops (id) VALUES (1)", "s0"},
      {"UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE orders SET total = 1 WHERE order_no IN ('ORD2026112200000001', "
       "'ORD2026112200000002')",
       "s0,s1"},
      {"UPDATE orders SET total = 1", "refuse:needs its shard key"},
      {"UPDATE orders SET total = 1 WHERE total > 5", "refuse:needs its shard key"},
      // A new key on the same shard moves nothing; one on another shard would.
      {"UPDATE orders SET order_no = 'ORD2026112200000003' WHERE order_no = 'ORD2026112200000001'",
       "s1"},
      {"UPDATE orders SET order_no = 'ORD2026112200000002' WHERE order_no = 'ORD2026112200000001'",
       "refuse:change shard key"},
      {"UPDATE orders SET order_no = 'ORD2026112200000001', total = 2 WHERE order_no = "
       "'ORD2026112200000001'",
       "s1"},
      {"UPDATE orders SET order_no = CONCAT(order_no, 'x') WHERE order_no = 'ORD2026112200000001'",
       "refuse:change shard key"},
      {"UPDATE orders o SET o.total = 1 WHERE o.order_no = 'ORD2026112200000002'", "s0"},
      {"UPDATE accounts SET balance = 0", "s0,s1,s2,s3"},
      {"UPDATE accounts SET balance = 0 LIMIT 5", "refuse:ORDER BY or LIMIT"},
      {"DELETE FROM orders WHERE order_no = 'ORD2026112200000002'", "s0"},
      {"DELETE FROM orders", "refuse:needs its shard key"},
      {"DELETE FROM orders WHERE order_no = 'ORD2026112200000002' OR 1=1",
       "refuse:needs its shard key"},
      {"DELETE FROM accounts WHERE balance < 0", "s0,s1,s2,s3"},
      {"DELETE o FROM orders o JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = "
       "'ORD2026112200000001'",
       "s1"},
  });
}

TEST(router, ddl) {
  check({
      {"CREATE TABLE orders (order_no CHAR(19) PRIMARY KEY)", "s0,s1,s2,s3"},
      {"CREATE TABLE IF NOT EXISTS members (member_id BIGINT)", "s0,s1,s2"},
      {"ALTER TABLE orders ADD COLUMN note TEXT", "s0,s1,s2,s3"},
      {"DROP TABLE IF EXISTS orders, order_items", "s0,s1,s2,s3"},
      {"DROP TABLE orders, members", "refuse:different clusters"},
      {"TRUNCATE TABLE coupons", "s1,s2,s3"},
      {"TRUNCATE events", "s2,s3"},
      {"CREATE INDEX i ON orders (total)", "s0,s1,s2,s3"},
      {"CREATE TABLE shops (id INT)", "s0"},
      {"CREATE DATABASE shop", "s0,s1,s2,s3"},
      {"CREATE DATABASE other", "s0"},
      {"CREATE VIEW v AS SELECT * FROM orders", "refuse:view"},
      {"CREATE TABLE t2 AS SELECT * FROM orders", "refuse:"},
  });
}

TEST(router, no_schema_means_no_sharding) {
  check({{"SELECT * FROM orders", "s0"}, {"SELECT * FROM shop.orders", "s0,s1,s2,s3"}}, "");
}

TEST(router, route_key) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  router r(topo);
  route_plan plan;
  const auto* orders = topo->config().find_schema("shop")->find_table("orders");
  r.route_key(*orders, "ORD2026112200000001", plan);
  ASSERT_EQ(plan.action, route_action::single);
  EXPECT_EQ(topo->config().clusters[plan.clusters[0]].name, "s1");
  EXPECT_NE(plan.reason.find("modulo"), std::string::npos) << plan.reason;
  r.route_key(*orders, "nope", plan);
  EXPECT_EQ(plan.action, route_action::refuse);
}

}  // namespace
}  // namespace shardgate::routing
