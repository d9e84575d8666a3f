// routing/parse_cache.hpp: a statement parses the same from the cache as from scratch, what
// is never cached, and what counts as another shape.
#include "routing/parse_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router_harness.hpp"
#include "routing/router.hpp"
#include "shape_variants.hpp"

namespace shardgate::routing {
namespace {

using test_shapes::same_parse;
using test_shapes::with_other_literals;

struct fixture : ::testing::Test {
  std::shared_ptr<const topology> topo = test_harness::make_topology();
  const config::config& cfg() const { return topo->config(); }
  parse_options options(std::string_view schema = "shop") const {
    parse_options o;
    o.current_schema = schema;
    return o;
  }
};

const std::vector<std::string> statements = {
    "SELECT order_no, amount FROM orders WHERE order_no = 'ORD2026112200000123'",
    "select * from shop.orders o join order_items i on o.order_no = i.order_no where "
    "o.order_no in ('ORD2026112200000001', 'ORD2026112200000002') order by 1 limit 10",
    "SELECT COUNT(*), SUM(amount) FROM orders WHERE amount > 10.5 GROUP BY status HAVING "
    "COUNT(*) > 2",
    "SELECT * FROM members WHERE member_id BETWEEN 10 AND 2000 OR member_id = -5",
    "SELECT (SELECT MAX(id) FROM accounts WHERE id = 7) AS m, x FROM currencies WHERE code = "
    "N'EUR'",
    "INSERT INTO orders (order_no, member_id, amount) VALUES ('ORD2026112200000001', 1, 1.5), "
    "('ORD2026112200000002', 2, 2.25), ('ORD2026112200000003', 3, 3)",
    "INSERT INTO members (member_id, name) VALUES (12, 'a''b') ON DUPLICATE KEY UPDATE name = "
    "'c'",
    "UPDATE members SET name = 'x', score = score + 1 WHERE member_id = 1500",
    "DELETE FROM tokens WHERE token = _utf8mb4'abc' LIMIT 1",
    "SELECT * FROM events WHERE day >= '2025-01-01' AND day < '2026-06-01'",
    "SELECT * FROM coupons WHERE code = X'4331'",
    "WITH t AS (SELECT * FROM orders WHERE order_no = 'ORD2026112200000001') SELECT * FROM t",
    "SELECT a FROM orders WHERE order_no = 'ORD2026112200000001' UNION SELECT b FROM orders "
    "WHERE order_no = 'ORD2026112200000009'",
};

// The cache primed with another statement of the same shape, then asked for the statement:
// the parse equals a fresh one, field by field.
TEST_F(fixture, a_cached_parse_equals_a_fresh_parse) {
  parse_cache cache;
  for (const std::string& sql : statements) {
    const std::string other = with_other_literals(sql, false);
    ASSERT_FALSE(other.empty()) << sql;
    ASSERT_NE(other, sql);
    parsed_statement primed, cached, fresh;
    cache.parse(other, cfg(), options(), primed);
    const auto hits = cache.hits();
    cache.parse(sql, cfg(), options(), cached);
    EXPECT_EQ(cache.hits(), hits + 1) << "not answered from the cache: " << sql;
    parse_statement(sql, cfg(), options(), fresh);
    std::string why;
    EXPECT_TRUE(same_parse(cached, fresh, why)) << why << ": " << sql;
    EXPECT_EQ(cached.text, sql);
  }
}

TEST_F(fixture, insert_rows_are_found_in_the_new_text) {
  parse_cache cache;
  parsed_statement p;
  cache.parse("INSERT INTO orders (order_no) VALUES ('ORD2026112200000001'), ('x')", cfg(),
              options(), p);
  const std::string sql = "INSERT INTO orders (order_no) VALUES ('ORD20261122000000011'), ('yy')";
  cache.parse(sql, cfg(), options(), p);
  ASSERT_EQ(cache.hits(), 1u);
  EXPECT_EQ(sql.substr(p.rows_start, p.rows_end - p.rows_start),
            "('ORD20261122000000011'), ('yy')");
}

// Each pair differs in something the parse can depend on: the second is parsed again.
TEST_F(fixture, other_names_options_and_schemas_are_other_shapes) {
  struct pair_case {
    const char* first;
    const char* second;
    const char* schema2 = "shop";
  };
  const std::vector<pair_case> pairs = {
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orderz WHERE order_no = 'a'"},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_nx = 'a'"},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_no = \"a\""},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_no = N'a'"},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_no = 1"},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_no = ?"},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_no = 'a'",
       "other"},
      {"SELECT * FROM orders WHERE order_no = 'a'", "SELECT * FROM orders WHERE order_no = 'a'",
       "SHOP"},
      {"SELECT * FROM orders WHERE order_no = @a", "SELECT * FROM orders WHERE order_no = @b"},
      // After AS a string is a name: the alias decides whether o.order_no is the key.
      {"SELECT * FROM orders AS 'o' WHERE o.order_no = 'a'",
       "SELECT * FROM orders AS 'p' WHERE o.order_no = 'a'"},
  };
  for (const auto& c : pairs) {
    parse_cache cache;
    parsed_statement p;
    cache.parse(c.first, cfg(), options(), p);
    cache.parse(c.second, cfg(), options(c.schema2), p);
    EXPECT_EQ(cache.hits(), 0u) << c.first << " / " << c.second << " in " << c.schema2;
  }
  parse_cache cache;
  parsed_statement p;
  parse_options ansi = options();
  ansi.ansi_quotes = true;
  cache.parse("SELECT * FROM orders WHERE order_no = \"a\"", cfg(), options(), p);
  cache.parse("SELECT * FROM orders WHERE order_no = \"a\"", cfg(), ansi, p);
  EXPECT_EQ(cache.hits(), 0u) << "ANSI_QUOTES changes what \"a\" is";
}

TEST_F(fixture, statements_whose_parse_depends_on_more_than_the_shape_are_not_kept) {
  const std::vector<std::string> never = {
      "/* shardgate: shard=s1 */ SELECT * FROM orders",
      "SELECT /*!50700 order_no, */ amount FROM orders WHERE order_no = 'a'",
      "SELECT 1; SELECT 2",
      "CREATE TABLE t (a INT)",
      "SHOW TABLES",
      "UPDATE orders SET order_no = 'a', order_no = 'a' WHERE order_no = 'b'",
      "INSERT INTO orders SET order_no = 'ORD2026112200000001'",
      "SELECT * FROM orders WHERE order_no = 'unterminated",
      "SELECT (1",
      "SELECT * FROM orders AS 'o' WHERE o.order_no = 'a'",  // the alias is a literal's value
  };
  for (const std::string& sql : never) {
    parse_cache cache;
    parsed_statement p, fresh;
    cache.parse(sql, cfg(), options(), p);
    cache.parse(sql, cfg(), options(), p);
    EXPECT_EQ(cache.hits(), 0u) << sql;
    parse_statement(sql, cfg(), options(), fresh);
    std::string why;
    EXPECT_TRUE(same_parse(p, fresh, why)) << why << ": " << sql;
  }
}

TEST_F(fixture, a_full_cache_replaces_entries_and_stays_correct) {
  parse_cache cache;
  parsed_statement p, fresh;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 3 * static_cast<int>(parse_cache::slots); ++i) {
      const std::string sql =
          "SELECT c" + std::to_string(i) + " FROM orders WHERE order_no = 'ORD2026112200000001'";
      cache.parse(sql, cfg(), options(), p);
      parse_statement(sql, cfg(), options(), fresh);
      std::string why;
      ASSERT_TRUE(same_parse(p, fresh, why)) << why << ": " << sql;
    }
  EXPECT_GT(cache.misses(), 0u);
}

TEST_F(fixture, the_router_routes_by_the_new_literals) {
  router r(topo);
  route_plan a, b;
  const session_view s{"shop"};
  r.route("SELECT * FROM orders WHERE order_no = 'ORD2026120100000000'", s, a);
  r.route("SELECT * FROM orders WHERE order_no = 'ORD2026120100000001'", s, b);
  EXPECT_EQ(r.parses().hits(), 1u);
  ASSERT_EQ(a.clusters.size(), 1u);
  ASSERT_EQ(b.clusters.size(), 1u);
  EXPECT_NE(a.clusters[0], b.clusters[0]);  // sequence 0 and 1 of a 4-shard generation
}

}  // namespace
}  // namespace shardgate::routing
