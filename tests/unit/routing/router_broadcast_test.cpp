// Broadcast tables (broadcast: true): a copy on each of their clusters. Reads of broadcast
// tables alone go to one copy; joined with sharded tables they go where the sharded tables
// route (each such shard must hold a copy); writes go to every copy (combine broadcast);
// writes naming broadcast and sharded tables together are refused; DDL reaches every copy.
//
// Same configuration as router_test.cpp: currencies has a copy on s0..s3 (the default:
// every cluster of the schema's sharded tables), regions on s2 and s1 (reads: s2 first).
// Order numbers: seq 00000001 -> s1, 00000002 -> s0 (before 2026-12-01).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "router_harness.hpp"
#include "routing/router.hpp"

namespace shardgate::routing {
namespace {

using namespace test_harness;

const char* const all4 = "s0,s1,s2,s3";

// clang-format off

TEST(router_broadcast, reads_of_broadcast_tables_alone_go_to_one_copy) {
  check({
      {"SELECT * FROM currencies", "s0"},
      {"SELECT * FROM currencies WHERE code = 'EUR'", "s0"},
      {"SELECT COUNT(*), MAX(rate) FROM currencies GROUP BY region ORDER BY 1 LIMIT 3", "s0"},
      {"SELECT * FROM shop.currencies", "s0"},
      // The first cluster as configured, not the lowest.
      {"SELECT * FROM regions", "s2"},
      // Several broadcast tables: a cluster holding a copy of each.
      {"SELECT * FROM currencies c JOIN regions r ON r.id = c.region", "s1"},
      {"SELECT * FROM regions r JOIN currencies c ON r.id = c.region", "s2"},
      {"SELECT * FROM currencies WHERE region IN (SELECT id FROM regions)", "s1"},
      {"SELECT * FROM (SELECT * FROM currencies) AS d", "s0"},
      {"EXPLAIN SELECT * FROM currencies", "s0"},
      {"DESCRIBE regions", "s2"},
      {"SHOW CREATE TABLE currencies", "s0"},
      // With an unsharded table: where it lives, if a copy is there.
      {"SELECT * FROM currencies c JOIN notes n ON n.code = c.code", "s0"},
      {"SELECT * FROM regions r JOIN notes n ON n.region = r.id", "refuse:lives on cluster s0 where regions has no copy"},
      // A hint still decides.
      {"/* shardgate: shard=s3 */ SELECT * FROM currencies", "s3"},
      // Unreadable text naming a broadcast table is refused, like a sharded one.
      {"SELECT * FROM currencies WHERE code = 'unterminated", "refuse:names broadcast table currencies"},
  });
}

TEST(router_broadcast, sharded_reads_joined_with_broadcast_tables_route_by_the_sharded_tables) {
  check({
      // By key: the sharded key's shard (every shard has a copy of currencies).
      {"SELECT * FROM orders o JOIN currencies c ON c.code = o.currency WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM currencies c JOIN orders o ON c.code = o.currency WHERE o.order_no = 'ORD2026112200000002'", "s0"},
      {"SELECT * FROM orders o, currencies c WHERE o.order_no = 'ORD2026112200000001' AND c.code = o.currency", "s1"},
      {"SELECT * FROM orders o JOIN order_items i ON i.order_no = o.order_no JOIN currencies c ON c.code = o.currency WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND currency IN (SELECT code FROM currencies)", "s1"},
      // A key-like column of the broadcast table does not route.
      {"SELECT * FROM orders o JOIN currencies c ON c.code = o.currency WHERE c.order_no = 'ORD2026112200000001'", all4},
      // Without a key: every shard of the sharded table (rows concatenated).
      {"SELECT * FROM orders o JOIN currencies c ON c.code = o.currency", all4},
      {"SELECT * FROM members m JOIN currencies c ON c.code = m.currency", "s0,s1,s2"},
      {"SELECT * FROM orders o JOIN currencies c ON c.code = o.currency WHERE o.order_no IN ('ORD2026112200000001', 'ORD2026112200000002')", "s0,s1"},
      // The shards the sharded table needs must each hold a copy.
      {"SELECT * FROM members m JOIN regions r ON r.id = m.region WHERE m.member_id = 1500", "s1"},
      {"SELECT * FROM members m JOIN regions r ON r.id = m.region WHERE m.member_id = 2500", "s2"},
      {"SELECT * FROM members m JOIN regions r ON r.id = m.region WHERE m.member_id = 500", "refuse:broadcast table regions has no copy on shard s0"},
      {"SELECT * FROM members m JOIN regions r ON r.id = m.region", "refuse:has no copy on shard s0, which this statement needs for sharded table members"},
      {"SELECT * FROM members WHERE member_id = 1 AND region IN (SELECT id FROM regions)", "refuse:has no copy on shard s0"},
      {"SELECT * FROM members WHERE member_id = NULL AND region IN (SELECT id FROM regions)", "refuse:has no copy on shard s0"},
      // Broadcast tables do not make sharded tables joinable: they still need their keys.
      {"SELECT * FROM orders o JOIN members m ON m.member_id = o.member_id JOIN currencies c ON c.code = o.currency WHERE o.order_no = 'ORD2026112200000001'", "refuse:sharded independently"},
      // Unsharded tables still cannot join sharded ones.
      {"SELECT * FROM orders o JOIN currencies c ON c.code = o.currency JOIN notes n ON n.id = o.note WHERE o.order_no = 'ORD2026112200000001'", "refuse:with unsharded table notes"},
      // Sharded tables in a subquery are still refused.
      {"SELECT * FROM currencies WHERE code IN (SELECT currency FROM orders)", "refuse:used in a subquery"},
  });
}

TEST(router_broadcast, writes_go_to_every_copy) {
  check({
      {"INSERT INTO currencies (code, rate) VALUES ('EUR', 1), ('USD', 1.1)", all4},
      {"INSERT INTO currencies VALUES ('EUR', 1)", all4},
      {"INSERT INTO currencies SET code = 'EUR', rate = 1", all4},
      {"INSERT INTO currencies (code, rate) VALUES ('EUR', 1) ON DUPLICATE KEY UPDATE rate = VALUES(rate)", all4},
      {"REPLACE INTO currencies (code, rate) VALUES ('EUR', 1)", all4},
      {"UPDATE currencies SET rate = 2 WHERE code = 'EUR'", all4},
      {"UPDATE currencies SET rate = rate * 2", all4},
      {"DELETE FROM currencies WHERE code = 'EUR'", all4},
      {"DELETE FROM regions", "s1,s2"},
      {"INSERT INTO regions (id, name) VALUES (1, 'north')", "s1,s2"},
      // Another broadcast table read in a subquery needs a copy on each copy of the target.
      {"UPDATE regions SET name = 'x' WHERE id IN (SELECT region FROM currencies)", "s1,s2"},
      {"UPDATE currencies SET region = 1 WHERE region IN (SELECT id FROM regions)", "refuse:copied to different clusters"},
      {"INSERT INTO regions (id) SELECT region FROM currencies", "s1,s2"},
      {"UPDATE currencies c JOIN regions r ON r.id = c.region SET c.rate = 1", "refuse:copied to different clusters"},
      // What would differ between the copies is refused.
      {"UPDATE currencies SET rate = 2 ORDER BY code LIMIT 1", "refuse:ORDER BY or LIMIT on broadcast table currencies"},
      {"DELETE FROM currencies LIMIT 1", "refuse:the copies could pick different rows"},
      {"INSERT INTO currencies (code, rate) VALUES ('EUR', CONNECTION_ID())", "refuse:CONNECTION_ID() on broadcast table currencies"},
      {"INSERT INTO currencies (code, token) VALUES ('EUR', uuid())", "refuse:UUID() on broadcast table currencies is not supported: every copy would compute its own value"},
      {"UPDATE currencies SET rate = RAND()", "refuse:RAND()"},
      {"UPDATE currencies SET rate = 1 WHERE code = (SELECT LAST_INSERT_ID())", "refuse:LAST_INSERT_ID()"},
      {"UPDATE currencies SET note = 'rand()' WHERE rand = 1", all4},
      {"UPDATE regions SET updated = NOW()", "s1,s2"},
      {"DELETE FROM currencies WHERE code = 'EUR' RETURNING code", "refuse:RETURNING on broadcast table"},
      // A write to an unsharded table reading a broadcast table runs where it lives.
      {"UPDATE notes SET code = 'EUR' WHERE code IN (SELECT code FROM currencies)", "s0"},
      {"UPDATE notes SET region = 1 WHERE region IN (SELECT id FROM regions)", "refuse:where regions has no copy"},
      // A broadcast write reading an unsharded table would see it on one copy only.
      {"INSERT INTO currencies (code) SELECT code FROM notes", "refuse:names unsharded table notes"},
      {"UPDATE currencies c JOIN notes n ON n.code = c.code SET c.rate = 1", "refuse:its copies would diverge"},
      // LOAD DATA (a file on each server) goes to every copy; LOCAL cannot.
      {"LOAD DATA INFILE '/tmp/currencies.tsv' INTO TABLE currencies", all4},
      {"load xml infile '/tmp/r.xml' into table regions", "s1,s2"},
      {"LOAD DATA LOW_PRIORITY LOCAL INFILE '/tmp/currencies.tsv' INTO TABLE currencies", "refuse:LOCAL INFILE into broadcast table currencies"},
      // Other statements ShardGate only reads by name.
      {"LOCK TABLES currencies WRITE", "refuse:cannot name broadcast table currencies"},
      {"HANDLER currencies OPEN", "refuse:cannot name broadcast table currencies"},
      // A broadcast write cannot join a multi-statement text (it needs several shards).
      {"INSERT INTO currencies (code) VALUES ('EUR'); SELECT 1", "refuse:needs several shards"},
  });
}

TEST(router_broadcast, writes_naming_broadcast_and_sharded_tables_are_refused) {
  check({
      {"UPDATE currencies c JOIN orders o ON o.currency = c.code SET c.rate = 2 WHERE o.order_no = 'ORD2026112200000001'", "refuse:names broadcast table currencies and sharded table orders"},
      {"UPDATE orders o JOIN currencies c ON o.currency = c.code SET o.total = c.rate WHERE o.order_no = 'ORD2026112200000001'", "refuse:cannot tell which one it writes"},
      {"DELETE o FROM orders o JOIN currencies c ON o.currency = c.code WHERE o.order_no = 'ORD2026112200000001'", "refuse:copies diverge"},
      {"DELETE FROM orders USING orders JOIN currencies ON orders.currency = currencies.code WHERE orders.order_no = 'ORD2026112200000001'", "refuse:names broadcast table currencies"},
      {"INSERT INTO currencies (code) SELECT currency FROM orders", "refuse:used in a subquery"},
      // Reading a broadcast table in a subquery of a sharded write is fine: it is on
      // every shard the write runs on.
      {"UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001' AND currency IN (SELECT code FROM currencies)", "s1"},
      {"DELETE FROM orders WHERE order_no = 'ORD2026112200000002' AND currency IN (SELECT code FROM currencies)", "s0"},
      {"INSERT INTO orders (order_no, rate) VALUES ('ORD2026112200000001', (SELECT rate FROM regions WHERE id = 1))", "s1"},
      {"INSERT INTO orders (order_no, rate) VALUES ('ORD2026112200000002', (SELECT rate FROM regions WHERE id = 1))", "refuse:broadcast table regions has no copy on shard s0"},
      {"UPDATE members SET region = 1 WHERE member_id = 1500 AND region IN (SELECT id FROM regions)", "s1"},
      {"UPDATE members SET region = 1 WHERE member_id = 500 AND region IN (SELECT id FROM regions)", "refuse:has no copy on shard s0"},
  });
}

TEST(router_broadcast, ddl_reaches_every_copy) {
  check({
      {"CREATE TABLE currencies (code CHAR(3) PRIMARY KEY, rate DECIMAL(10,4))", all4},
      {"ALTER TABLE currencies ADD COLUMN name VARCHAR(40)", all4},
      {"TRUNCATE TABLE currencies", all4},
      {"DROP TABLE IF EXISTS currencies", all4},
      {"CREATE INDEX by_name ON regions (name)", "s1,s2"},
      {"DROP TABLE regions", "s1,s2"},
      {"CREATE DATABASE shop", all4},
      // A view over a broadcast table would exist on one cluster only.
      {"CREATE VIEW v AS SELECT * FROM currencies", "refuse:reads broadcast table currencies"},
      // Tables on different clusters in one DDL.
      {"DROP TABLE currencies, regions", "refuse:live on different clusters"},
  });
}

TEST(router_broadcast, multi_statement_texts) {
  check({
      // A broadcast read follows the shard the text already goes to, if it has copies.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; SELECT * FROM currencies", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000002'; SELECT * FROM currencies", "s0"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000002'; SELECT * FROM regions", "refuse:go to different shards"},
      {"SELECT * FROM currencies; SELECT 1", "s0"},
  });
}

// clang-format on

TEST(router_broadcast, plans_say_how_replies_combine) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  const auto& cfg = topo->config();
  router r(topo);
  route_plan plan;
  auto route = [&](std::string_view sql) { r.route(sql, session_view{"shop"}, plan, true); };

  route("SELECT * FROM currencies");
  EXPECT_EQ(plan.action, route_action::single);
  EXPECT_EQ(plan.combine, route_combine::none);
  EXPECT_TRUE(plan.broadcast_read);
  EXPECT_FALSE(plan.write);
  EXPECT_FALSE(plan.tableless);
  // Any cluster holding a copy may serve it (the session's transaction shard).
  EXPECT_TRUE(r.has_broadcast_copies(cfg.cluster_index("s3")));
  route("SELECT * FROM currencies c JOIN regions r ON r.id = c.region");
  EXPECT_TRUE(plan.broadcast_read);
  EXPECT_TRUE(r.has_broadcast_copies(cfg.cluster_index("s2")));
  EXPECT_FALSE(r.has_broadcast_copies(cfg.cluster_index("s3")));

  // Joined with a sharded table, or with an unsharded one: that table decides.
  route(
      "SELECT * FROM orders o JOIN currencies c ON c.code = o.currency WHERE o.order_no = "
      "'ORD2026112200000001'");
  EXPECT_EQ(plan.action, route_action::single);
  EXPECT_FALSE(plan.broadcast_read);
  route("SELECT * FROM currencies c JOIN notes n ON n.code = c.code");
  EXPECT_FALSE(plan.broadcast_read);
  route("SELECT * FROM orders o JOIN currencies c ON c.code = o.currency");
  EXPECT_EQ(plan.action, route_action::fan_out);
  EXPECT_EQ(plan.combine, route_combine::rows);

  route("UPDATE currencies SET rate = 2 WHERE code = 'EUR'");
  EXPECT_EQ(plan.action, route_action::fan_out);
  EXPECT_EQ(plan.combine, route_combine::broadcast);
  EXPECT_TRUE(plan.write);
  EXPECT_FALSE(plan.broadcast_read);
  EXPECT_FALSE(plan.rewritten);
  EXPECT_EQ(plan.clusters.size(), 4u);
  EXPECT_EQ(plan.table, cfg.find_schema("shop")->find_table("currencies"));
  EXPECT_NE(plan.reason.find("broadcast table currencies"), std::string::npos) << plan.reason;

  route("INSERT INTO currencies (code, rate) VALUES ('EUR', 1), ('USD', 2)");
  EXPECT_EQ(plan.combine, route_combine::broadcast);
  EXPECT_FALSE(plan.rewritten);  // every copy gets every row

  route("LOAD DATA INFILE '/tmp/x' INTO TABLE currencies");
  EXPECT_EQ(plan.combine, route_combine::broadcast);
  EXPECT_TRUE(plan.write);  // transaction rules apply to it

  route("EXPLAIN UPDATE currencies SET rate = 2");
  EXPECT_EQ(plan.action, route_action::single);
  EXPECT_FALSE(plan.write);

  route("CREATE TABLE regions (id INT PRIMARY KEY)");
  EXPECT_EQ(plan.action, route_action::fan_out);
  EXPECT_EQ(plan.combine, route_combine::ddl);

  route("UPDATE currencies c JOIN orders o ON o.currency = c.code SET c.rate = 2");
  EXPECT_EQ(plan.action, route_action::refuse);
  EXPECT_EQ(plan.error.code, 1235);
  EXPECT_EQ(plan.error.sql_state, "42000");

  EXPECT_STREQ(route_combine_name(route_combine::broadcast), "broadcast");
}

TEST(router_broadcast, route_key_names_every_copy) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  const auto& cfg = topo->config();
  router r(topo);
  route_plan plan;
  r.route_key(*cfg.find_schema("shop")->find_table("regions"), "anything", plan);
  EXPECT_EQ(plan.action, route_action::fan_out);
  EXPECT_EQ(plan.combine, route_combine::broadcast);
  EXPECT_EQ(describe(plan, cfg), "s1,s2");
  EXPECT_NE(plan.reason.find("regions is a broadcast table"), std::string::npos) << plan.reason;
  EXPECT_NE(plan.reason.find("(s1, s2); reads go to s2, writes to every copy"), std::string::npos)
      << plan.reason;
}

TEST(router_broadcast, placement_of_a_broadcast_table) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  const auto& cfg = topo->config();
  const auto& p = topo->placement(*cfg.find_schema("shop")->find_table("regions"));
  EXPECT_TRUE(p.broadcast());
  EXPECT_EQ(p.clusters(), (std::vector<int>{cfg.cluster_index("s1"), cfg.cluster_index("s2")}));
  EXPECT_EQ(p.first_copy(), cfg.cluster_index("s2"));
  key_value k;
  std::string why;
  EXPECT_EQ(p.place(k, why), -1);
  EXPECT_NE(why.find("broadcast table"), std::string::npos);
  std::vector<int> span;
  p.place_span(k, k, span);
  EXPECT_EQ(span.size(), 2u);
  const auto& orders = topo->placement(*cfg.find_schema("shop")->find_table("orders"));
  EXPECT_FALSE(orders.broadcast());
  EXPECT_EQ(orders.first_copy(), -1);
}

}  // namespace
}  // namespace shardgate::routing
