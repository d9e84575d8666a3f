// build_set_statement: the one SET that turns a backend connection's tracked session
// variables into the client session's.
#include "backend/state_sync.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace shardgate::backend {
namespace {

using vars = std::vector<std::pair<std::string, std::string>>;

session::replayable_state state(const vars& v) {
  session::replayable_state s;
  for (const auto& [k, val] : v) s.set_var(k, val);
  return s;
}

struct set_case {
  const char* name;
  vars have;
  vars want;
  std::string expected;
};

TEST(build_set_statement, table) {
  const std::vector<set_case> cases = {
      {"both_empty", {}, {}, ""},
      {"equal", {{"time_zone", "+00:00"}}, {{"time_zone", "+00:00"}}, ""},
      {"equal_in_other_order",
       {{"time_zone", "+00:00"}, {"sql_mode", "ANSI"}},
       {{"sql_mode", "ANSI"}, {"time_zone", "+00:00"}},
       ""},
      {"changed",
       {{"time_zone", "+00:00"}},
       {{"time_zone", "+01:00"}},
       "SET @@SESSION.time_zone='+01:00'"},
      {"added", {}, {{"autocommit", "OFF"}}, "SET @@SESSION.autocommit='OFF'"},
      {"removed", {{"sql_mode", "ANSI"}}, {}, "SET @@SESSION.sql_mode=DEFAULT"},
      {"added_changed_removed_in_order",
       {{"c", "y"}, {"a", "0"}},
       {{"a", "1"}, {"b", "x"}},
       "SET @@SESSION.a=1, @@SESSION.b='x', @@SESSION.c=DEFAULT"},
      {"unchanged_vars_not_repeated",
       {{"time_zone", "+00:00"}, {"sql_mode", "ANSI"}},
       {{"time_zone", "+00:00"}, {"sql_mode", ""}},
       "SET @@SESSION.sql_mode=''"},
      // Collations depend on the character set: always after every character_set_*.
      {"collation_after_character_set",
       {},
       {{"collation_connection", "utf8mb4_unicode_ci"},
        {"character_set_client", "utf8mb4"},
        {"character_set_connection", "utf8mb4"}},
       "SET @@SESSION.character_set_client='utf8mb4', "
       "@@SESSION.character_set_connection='utf8mb4', "
       "@@SESSION.collation_connection='utf8mb4_unicode_ci'"},
      {"removed_collation_after_added_character_set",
       {{"collation_connection", "latin1_bin"}},
       {{"character_set_connection", "utf8mb4"}},
       "SET @@SESSION.character_set_connection='utf8mb4', @@SESSION.collation_connection=DEFAULT"},
      {"removed_character_set_before_changed_collation",
       {{"collation_database", "a"}, {"character_set_database", "latin1"}},
       {{"collation_database", "b"}},
       "SET @@SESSION.character_set_database=DEFAULT, @@SESSION.collation_database='b'"},
      // Quoting.
      {"single_quote_doubled", {}, {{"v", "it's"}}, "SET @@SESSION.v='it''s'"},
      {"backslash_escaped", {}, {{"v", "a\\b"}}, "SET @@SESSION.v='a\\\\b'"},
      {"quote_and_backslash", {}, {{"v", "\\'"}}, "SET @@SESSION.v='\\\\'''"},
      {"double_quote_untouched", {}, {{"v", "say \"hi\""}}, "SET @@SESSION.v='say \"hi\"'"},
      {"empty_string", {{"sql_mode", "ANSI"}}, {{"sql_mode", ""}}, "SET @@SESSION.sql_mode=''"},
      {"comma_list",
       {},
       {{"sql_mode", "STRICT_TRANS_TABLES,NO_ZERO_DATE"}},
       "SET @@SESSION.sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE'"},
      // Numbers are unquoted; anything number-like but not a plain decimal is quoted.
      {"integer", {}, {{"wait_timeout", "28800"}}, "SET @@SESSION.wait_timeout=28800"},
      {"negative", {}, {{"n", "-1"}}, "SET @@SESSION.n=-1"},
      {"decimal",
       {},
       {{"long_query_time", "10.000000"}},
       "SET @@SESSION.long_query_time=10.000000"},
      {"leading_dot", {}, {{"n", ".5"}}, "SET @@SESSION.n=.5"},
      {"zero", {}, {{"n", "0"}}, "SET @@SESSION.n=0"},
      {"plus_sign_quoted", {}, {{"n", "+5"}}, "SET @@SESSION.n='+5'"},
      {"exponent_quoted", {}, {{"n", "1e3"}}, "SET @@SESSION.n='1e3'"},
      {"two_dots_quoted", {}, {{"n", "1.2.3"}}, "SET @@SESSION.n='1.2.3'"},
      {"lone_minus_quoted", {}, {{"n", "-"}}, "SET @@SESSION.n='-'"},
      {"lone_dot_quoted", {}, {{"n", "."}}, "SET @@SESSION.n='.'"},
      {"hex_quoted", {}, {{"n", "0x10"}}, "SET @@SESSION.n='0x10'"},
      {"time_zone_offset_quoted",
       {},
       {{"time_zone", "-05:00"}},
       "SET @@SESSION.time_zone='-05:00'"},
      // character_set_results may be NULL, which the tracker reports as an empty value.
      {"character_set_results_null",
       {{"character_set_results", "utf8mb4"}},
       {{"character_set_results", ""}},
       "SET @@SESSION.character_set_results=NULL"},
      {"character_set_results_value",
       {{"character_set_results", ""}},
       {{"character_set_results", "latin1"}},
       "SET @@SESSION.character_set_results='latin1'"},
      {"other_empty_not_null",
       {},
       {{"character_set_client", ""}},
       "SET @@SESSION.character_set_client=''"},
      // Names that are not plain identifiers are never put into SQL.
      {"name_with_space_skipped", {}, {{"bad name", "1"}}, ""},
      {"name_with_semicolon_skipped", {}, {{"x;DROP TABLE t", "1"}}, ""},
      {"name_with_dot_skipped", {}, {{"a.b", "1"}}, ""},
      {"name_with_backquote_skipped", {}, {{"a`b", "1"}}, ""},
      {"empty_name_skipped", {}, {{"", "1"}}, ""},
      {"removed_odd_name_skipped", {{"bad-name", "1"}}, {}, ""},
      {"odd_name_skipped_others_kept",
       {},
       {{"bad name", "1"}, {"good_name", "2"}},
       "SET @@SESSION.good_name=2"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(build_set_statement(state(c.have), state(c.want)), c.expected) << c.name;
  }
}

// Under NO_BACKSLASH_ESCAPES a backslash is literal; quotes are doubled in either mode.
TEST(build_set_statement, no_backslash_escapes_mode) {
  EXPECT_EQ(build_set_statement(state({}), state({{"v", R"(a\b'c)"}}), true),
            R"(SET @@SESSION.v='a\b''c')");
  EXPECT_EQ(build_set_statement(state({}), state({{"v", R"(a\b'c)"}}), false),
            R"(SET @@SESSION.v='a\\b''c')");
}

TEST(build_set_statement, other_state_does_not_produce_a_set) {
  session::replayable_state have = state({{"time_zone", "+00:00"}});
  session::replayable_state want = have;
  want.set_schema("shop");
  want.set_multi_statements(false);
  want.set_last_insert_id(42);
  EXPECT_EQ(build_set_statement(have, want), "");
}

TEST(build_set_statement, applying_the_result_makes_states_equal) {
  const session::replayable_state have = state({{"a", "1"}, {"collation_server", "x"}});
  const session::replayable_state want = state({{"a", "2"}, {"b", "y"}});
  EXPECT_FALSE(build_set_statement(have, want).empty());
  session::replayable_state after = have;
  after.vars = want.vars;  // what sync_state does once the SET succeeded
  EXPECT_EQ(build_set_statement(after, want), "");
}

}  // namespace
}  // namespace shardgate::backend
