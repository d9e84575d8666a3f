// Prepared statements routed by their values: placeholders found by the lexer, values
// written in as literals, and the router reading the result.
#include "routing/bind_params.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "protocol/resultset.hpp"
#include "router_harness.hpp"

namespace shardgate::routing {
namespace {

using protocol::bound_param;
using protocol::column_type;

std::vector<protocol::bytes> keep;

bound_param text(std::string_view s) {
  keep.emplace_back(s.begin(), s.end());
  bound_param p;
  p.type = static_cast<std::uint8_t>(column_type::var_string);
  p.value = keep.back();
  return p;
}

bound_param dbl(double d) {
  keep.emplace_back(8);
  std::memcpy(keep.back().data(), &d, 8);
  bound_param p;
  p.type = static_cast<std::uint8_t>(column_type::double_);
  p.value = keep.back();
  return p;
}

std::string bind(std::string_view sql, std::vector<bound_param> params) {
  std::vector<placeholder> ph;
  EXPECT_TRUE(find_placeholders(sql, false, ph));
  std::string out;
  EXPECT_TRUE(bind_text(sql, ph, params, false, out)) << sql;
  return out;
}

TEST(FindPlaceholders, SkipsStringsIdentifiersAndComments) {
  std::vector<placeholder> ph;
  const std::string_view sql = "SELECT '?', `?`, \"?\", ? /* ? */ -- ?\n, ? # ?\n";
  ASSERT_TRUE(find_placeholders(sql, false, ph));
  ASSERT_EQ(ph.size(), 2u);
  EXPECT_EQ(sql[ph[0].offset], '?');
  EXPECT_EQ(ph[0].offset, 22u);
  EXPECT_EQ(sql.substr(ph[1].offset - 2, 3), ", ?");
  EXPECT_FALSE(find_placeholders("SELECT 'unterminated ?", false, ph));
}

TEST(FindPlaceholders, MarksLimitAndOffset) {
  std::vector<placeholder> ph;
  ASSERT_TRUE(find_placeholders("SELECT ? FROM t WHERE a = ? LIMIT ?, ?", false, ph));
  ASSERT_EQ(ph.size(), 4u);
  EXPECT_FALSE(ph[0].integer_only);
  EXPECT_FALSE(ph[1].integer_only);
  EXPECT_TRUE(ph[2].integer_only);
  EXPECT_TRUE(ph[3].integer_only);
  ASSERT_TRUE(find_placeholders("SELECT 1 LIMIT 5 OFFSET ?", false, ph));
  EXPECT_TRUE(ph.at(0).integer_only);
  ASSERT_TRUE(find_placeholders("SELECT 1 LIMIT 5, ?", false, ph));
  EXPECT_TRUE(ph.at(0).integer_only);
  ASSERT_TRUE(find_placeholders("SELECT 1 LIMIT 5 UNION SELECT ?", false, ph));
  EXPECT_FALSE(ph.at(0).integer_only);
}

TEST(BindText, WritesValuesAsLiterals) {
  EXPECT_EQ(bind("SELECT * FROM t WHERE a=? AND b-?", {text("x'y"), dbl(-1)}),
            "SELECT * FROM t WHERE a= 'x''y'  AND b- -1e0 ");
  EXPECT_EQ(bind("SELECT 1 LIMIT ?, ?", {dbl(5), dbl(20)}), "SELECT 1 LIMIT  5 ,  20 ");
  EXPECT_EQ(bind("SELECT 1 LIMIT ?", {dbl(2.5)}), "SELECT 1 LIMIT  2.5e0 ");  // the server's error
  std::vector<placeholder> ph;
  ASSERT_TRUE(find_placeholders("SELECT ?, ?", false, ph));
  std::string out;
  EXPECT_FALSE(bind_text("SELECT ?, ?", ph, std::vector<bound_param>{text("a")}, false, out));
}

TEST(BindText, RoutesByTheBoundKey) {
  router r(test_harness::make_topology());
  const session_view session{"shop"};
  route_plan plan;
  r.route(bind("SELECT * FROM orders WHERE order_no = ?", {text("ORD2026120100000007")}), session,
          plan);
  ASSERT_EQ(plan.action, route_action::single);
  EXPECT_EQ(plan.clusters.at(0), 3);  // seq 7 % 4 shards
  // Integral DOUBLE keys (what JavaScript drivers send) route exactly on integer keys.
  r.route(bind("SELECT * FROM members WHERE member_id = ?", {dbl(1500)}), session, plan);
  EXPECT_EQ(plan.action, route_action::single);
  EXPECT_EQ(plan.clusters.at(0), 1);
  r.route(bind("SELECT * FROM members WHERE member_id = ?", {dbl(1500.5)}), session, plan);
  EXPECT_EQ(plan.action, route_action::fan_out);  // not an integer: any shard may match
  // Above 2^53 a DOUBLE equals several integers: any shard.
  r.route(bind("SELECT * FROM members WHERE member_id = ?", {dbl(1e16)}), session, plan);
  EXPECT_EQ(plan.action, route_action::fan_out);
}

}  // namespace
}  // namespace shardgate::routing
