// SET shardgate_max_execution_ms: the forms a client may use, DEFAULT, the bounds, and the
// error for anything else; other SETs are not ShardGate's.
#include "session/shardgate_settings.hpp"

#include <gtest/gtest.h>

namespace shardgate::session {
namespace {

std::optional<setting_change> parse(std::string_view sql) {
  static const config::config cfg;
  routing::parsed_statement p;
  routing::parse_statement(sql, cfg, routing::parse_options{}, p);
  return shardgate_setting(p);
}

TEST(shardgate_settings, every_form_of_the_set) {
  for (const char* sql :
       {"SET shardgate_max_execution_ms = 250", "SET SESSION shardgate_max_execution_ms=250",
        "set local shardgate_max_execution_ms := 250", "SET @@shardgate_max_execution_ms = 250",
        "SET @@session.shardgate_max_execution_ms = 250",
        "SET @@LOCAL.SHARDGATE_MAX_EXECUTION_MS = 250;"}) {
    SCOPED_TRACE(sql);
    const auto c = parse(sql);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->error);
    EXPECT_EQ(c->max_execution_ms, 250);
  }
}

TEST(shardgate_settings, default_zero_and_the_upper_bound) {
  EXPECT_EQ(parse("SET shardgate_max_execution_ms = DEFAULT")->max_execution_ms, -1);
  EXPECT_EQ(parse("SET shardgate_max_execution_ms = 0")->max_execution_ms, 0);
  EXPECT_EQ(parse("SET shardgate_max_execution_ms = 86400000")->max_execution_ms, 86'400'000);
}

TEST(shardgate_settings, bad_values_are_refused_with_1525) {
  for (const char* sql :
       {"SET shardgate_max_execution_ms = 86400001", "SET shardgate_max_execution_ms = -5",
        "SET shardgate_max_execution_ms = 'x'", "SET shardgate_max_execution_ms = 1.5",
        "SET shardgate_max_execution_ms", "SET shardgate_max_execution_ms = 5, autocommit = 0"}) {
    SCOPED_TRACE(sql);
    const auto c = parse(sql);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->error);
    EXPECT_EQ(c->error->code, 1525);
    EXPECT_EQ(c->error->sql_state, "HY000");
  }
}

TEST(shardgate_settings, other_sets_are_the_servers) {
  for (const char* sql : {"SET autocommit = 0", "SET @shardgate_max_execution_ms = 5",
                          "SET GLOBAL shardgate_max_execution_ms = 5", "SET NAMES utf8mb4",
                          "SET max_execution_time = 5"}) {
    SCOPED_TRACE(sql);
    EXPECT_FALSE(parse(sql));
  }
}

}  // namespace
}  // namespace shardgate::session
