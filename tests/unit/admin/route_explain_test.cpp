// GET /route's answers (admin/route_explain): query-string decoding, JSON escaping, and the
// routing decisions it reports for keys and statements.
#include "admin/route_explain.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace shardgate::admin {
namespace {

std::shared_ptr<const routing::topology> topo() {
  auto r = config::load_string(R"(
users: [{name: app, password: app}]
clusters:
  s0: {writer: 127.0.0.1:3311, user: app}
  s1: {writer: 127.0.0.1:3312, user: app}
default_cluster: s0
schemas:
  shop:
    default_cluster: s0
    tables:
      orders:
        shard_key: id
        key: integer
        strategy: {kind: hash, function: modulo, shards: [s0, s1]}
)",
                               "test.yaml");
  auto cfg = std::get<std::shared_ptr<const config::config>>(r);
  return std::make_shared<const routing::topology>(cfg);
}

TEST(route_explain, query_strings) {
  bool ok = false;
  auto p = parse_query("table=orders&key=ORD%2001&sql=SELECT+1&empty=&flag", ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(p["table"], "orders");
  EXPECT_EQ(p["key"], "ORD 01");
  EXPECT_EQ(p["sql"], "SELECT 1");
  EXPECT_EQ(p["empty"], "");
  EXPECT_EQ(p.count("flag"), 1u);
  parse_query("key=%4", ok);
  EXPECT_FALSE(ok);
  parse_query("key=%zz", ok);
  EXPECT_FALSE(ok);
}

TEST(route_explain, json_escaping) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
  // Bytes that are not UTF-8 (a binary key) are escaped too: the answer stays valid JSON.
  EXPECT_EQ(json_escape("k\xff\xc3\xa9"), "k\\u00ff\xc3\xa9");
}

TEST(route_explain, keys_and_statements) {
  route_explainer e(topo());
  auto a = e.explain("table=orders&key=7");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("\"clusters\": [\"s1\"]"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("\"sharded\": true"), std::string::npos);
  a = e.explain("table=orders&key=8&schema=shop");
  EXPECT_NE(a.body.find("\"clusters\": [\"s0\"]"), std::string::npos) << a.body;
  a = e.explain("table=customers&key=1");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("\"sharded\": false"), std::string::npos) << a.body;
  a = e.explain("table=orders&key=abc");
  EXPECT_EQ(a.status, 422);
  EXPECT_NE(a.body.find("not a valid integer key"), std::string::npos) << a.body;
  a = e.explain("sql=SELECT+*+FROM+orders");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("\"action\": \"fan_out\""), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("\"clusters\": [\"s0\", \"s1\"]"), std::string::npos) << a.body;
  a = e.explain("sql=UPDATE+orders+SET+x%3D1");
  EXPECT_EQ(a.status, 422);
  EXPECT_NE(a.body.find("\"code\": 1235"), std::string::npos) << a.body;
  EXPECT_EQ(e.explain("").status, 400);
  EXPECT_EQ(e.explain("key=1").status, 400);
  EXPECT_EQ(e.explain("table=orders&key=1&sql=x").status, 400);
  EXPECT_EQ(e.explain("table=orders&key=%G1").status, 400);
}

}  // namespace
}  // namespace shardgate::admin
