// statement_pins_session: which statements leave non-replayable state on a backend connection.
#include "session/pinning.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace shardgate::session {
namespace {

struct pin_case {
  const char* name;
  std::string_view sql;
  bool pins;
};

using namespace std::string_view_literals;

const std::vector<pin_case>& pin_cases() {
  static const std::vector<pin_case> cases = {
      // User variables.
      {"select_user_var", "SELECT @x", true},
      {"set_user_var", "SET @x = 1", true},
      {"assign_user_var", "SELECT @x := 1", true},
      {"select_into_user_var", "SELECT 1 INTO @x", true},
      {"backquoted_user_var", "select @`weird var`", true},
      {"quoted_user_var", "SELECT @'quoted'", true},
      {"user_var_after_system_var", "SELECT @@session.x, @y", true},
      {"user_var_in_where", "SELECT * FROM t WHERE a = @x", true},
      {"user_var_no_space", "SELECT 1+@x", true},
      // System variables do not pin.
      {"session_system_var", "SELECT @@session.autocommit", false},
      {"bare_system_var", "SELECT @@autocommit", false},
      {"global_system_var", "SELECT @@global.max_connections", false},
      {"set_session_system_var", "SET @@session.sql_mode = 'ANSI'", false},
      {"set_two_system_vars", "SET @@SESSION.time_zone='+00:00', @@session.sql_mode=''", false},
      {"local_system_var", "SELECT @@local.wait_timeout", false},
      // Strings and comments hide everything.
      {"user_var_in_single_quotes", "SELECT '@x'", false},
      {"user_var_in_double_quotes", "SELECT \"@x\"", false},
      {"prepare_in_string", "SELECT 'PREPARE stmt'", false},
      {"doubled_quote", "SELECT 'it''s @x'", false},
      {"doubled_double_quote", "SELECT \"it\"\"s @x\"", false},
      {"backslash_escaped_quote", "SELECT 'a\\'@x'", false},
      {"backslash_escaped_double_quote", "SELECT \"a\\\"@x\"", false},
      {"email_in_string", "select * from t where email = 'a@b.c'", false},
      {"user_var_after_string", "SELECT 'a', @x", true},
      {"block_comment", "SELECT 1 /* @x */", false},
      {"prepare_in_block_comment", "SELECT 1 /* PREPARE s */ FROM t", false},
      {"optimizer_hint_comment", "SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1", false},
      {"unterminated_block_comment", "SELECT 1 /* unterminated @x", false},
      {"hash_comment", "SELECT 1 # @x", false},
      {"hash_comment_then_next_line", "SELECT 1 # @x\n, @y", true},
      {"dash_dash_space_comment", "SELECT 1 -- @x", false},
      {"dash_dash_tab_comment", "SELECT 1 --\t@x", false},
      {"dash_dash_newline_comment", "SELECT 1 --\n, @x", true},
      {"dash_dash_at_end", "SELECT 1 --", false},
      // Without the space, -- is two minus signs: - -@x.
      {"dash_dash_no_space_is_not_a_comment", "SELECT 1 --@x", true},
      {"dash_dash_comment_ends_at_newline", "SELECT 1 -- comment\nFROM t WHERE a = @x", true},
      {"quote_inside_comment", "SELECT 'x' -- it's\n, @y", true},
      // Executable comments are SQL.
      {"executable_comment_user_var", "/*!40101 SET @x=1 */", true},
      {"executable_comment_set_names", "/*!40101 SET NAMES utf8 */", false},
      {"executable_comment_without_version", "/*!SET @x=1*/", true},
      {"mariadb_executable_comment", "/*M!100100 SELECT @x */", true},
      {"executable_comment_prepare", "/*! PREPARE s FROM 'SELECT 1' */", true},
      {"executable_comment_inside_select", "SELECT 1 /*!, @x */", true},
      {"executable_comment_then_plain_comment", "/*!40101 SET NAMES utf8 */ /* @x */", false},
      // One-shot transaction settings.
      {"set_transaction_isolation", "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", true},
      {"set_transaction_read_only_lower", "set transaction read only", true},
      {"set_session_transaction", "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE", true},
      {"executable_set_transaction", "/*!40101 SET TRANSACTION READ WRITE */", true},
      {"start_transaction", "START TRANSACTION", false},
      {"start_transaction_read_only", "START TRANSACTION READ ONLY", false},
      {"begin", "BEGIN", false},
      {"commit", "COMMIT", false},
      {"select_transaction_column", "SELECT transaction FROM t", false},
      // Replayable session settings.
      {"set_time_zone", "SET time_zone = '+00:00'", false},
      {"set_names", "SET NAMES utf8mb4", false},
      {"set_autocommit", "SET autocommit=0", false},
      {"set_session_sql_mode", "SET SESSION sql_mode='TRADITIONAL'", false},
      {"set_session_track", "SET session_track_schema=OFF", true},
      {"set_session_session_track", "SET SESSION session_track_system_variables='*'", true},
      // Locks.
      {"lock_tables", "LOCK TABLES t WRITE", true},
      {"lock_table_lower", "lock table t read", true},
      {"unlock_tables", "UNLOCK TABLES", false},
      {"get_lock", "SELECT GET_LOCK('a', 10)", true},
      {"get_lock_lower_space", "select get_lock ('a', 10)", true},
      {"release_lock", "SELECT RELEASE_LOCK('a')", false},
      {"lock_in_share_mode", "SELECT * FROM t LOCK IN SHARE MODE", true},
      // Temporary tables, FOUND_ROWS, prepared statements, handlers, XA, warnings.
      {"create_temporary_table", "CREATE TEMPORARY TABLE t (a INT)", true},
      {"drop_temporary_table", "DROP TEMPORARY TABLE t", true},
      {"sql_calc_found_rows", "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1", true},
      {"sql_calc_found_rows_lower", "select sql_calc_found_rows 1", true},
      {"found_rows", "SELECT FOUND_ROWS()", true},
      {"row_count", "SELECT ROW_COUNT()", true},
      {"prepare", "PREPARE s FROM 'SELECT 1'", true},
      {"execute", "EXECUTE s", true},
      {"deallocate", "DEALLOCATE PREPARE s", true},
      {"handler", "HANDLER t OPEN", true},
      {"xa", "XA START 'x'", true},
      {"show_warnings", "SHOW WARNINGS", true},
      // Quoted identifiers.
      {"backquoted_user_var_name", "SELECT `@x` FROM t", false},
      {"backquoted_keyword", "SELECT * FROM `PREPARE`", false},
      {"backquoted_doubled_backquote", "SELECT `a``@x` FROM t", false},
      // No backslash escapes in identifiers: `a\` is complete.
      {"backquote_ends_despite_backslash", "SELECT `a\\` FROM t WHERE b = @x", true},
      // Keywords only as whole words.
      {"prepared_column", "SELECT prepared FROM t", false},
      {"locked_at_column", "SELECT locked_at FROM t", false},
      {"temporary_prefix_table", "SELECT * FROM temporary_data", false},
      {"my_lock_column", "SELECT my_lock FROM t", false},
      {"dollar_identifier", "SELECT $x FROM t", false},
      // It errs on the side of pinning.
      {"lock_as_column_name", "SELECT t.lock FROM t", true},
      {"create_user_at_host", "CREATE USER 'u'@'%'", true},
      // Unterminated strings and odd input.
      {"unterminated_single_quote", "SELECT 'abc", false},
      {"unterminated_string_with_user_var", "SELECT 'abc @x", false},
      {"string_ending_in_backslash", "SELECT 'abc\\", false},
      {"unterminated_backquote", "SELECT `abc @x", false},
      {"empty", "", false},
      {"whitespace", "   \n\t ", false},
      {"semicolon", ";", false},
      {"lone_at", "@", true},
      {"lone_slash_star", "/*", false},
      {"lone_exec_comment", "/*!", false},
      {"embedded_nul", "SELECT 1\0@x"sv, true},
      {"non_ascii_identifier", "SELECT \xc3\xa9t\xc3\xa9 FROM t", false},
      {"non_ascii_in_string", "SELECT '\xc3\xa9@x'", false},
      // Multi-statements.
      {"second_statement_user_var", "SELECT 1; SELECT @x", true},
  };
  return cases;
}

TEST(statement_pins_session, table) {
  EXPECT_GE(pin_cases().size(), 60u);
  for (const auto& c : pin_cases()) {
    EXPECT_EQ(statement_pins_session(c.sql), c.pins) << c.name << ": " << c.sql;
  }
}

// Every prefix of every case must be scanned without reading past its end (checked under
// ASan: each prefix is copied into its own exactly-sized buffer).
TEST(statement_pins_session, every_prefix_is_safe) {
  for (const auto& c : pin_cases()) {
    for (std::size_t len = 0; len <= c.sql.size(); ++len) {
      const std::vector<char> cut(c.sql.begin(), c.sql.begin() + static_cast<std::ptrdiff_t>(len));
      (void)statement_pins_session(std::string_view(cut.data(), cut.size()));
    }
  }
}

// Regression: SET TRANSACTION used to be recognised only when SET was the first word of the
// whole input, so in a multi-statement query the one-shot isolation level of a later
// statement was missed (fixed in 481d993).
TEST(statement_pins_session, set_transaction_in_later_statement) {
  EXPECT_TRUE(statement_pins_session("SELECT 1; SET TRANSACTION ISOLATION LEVEL READ COMMITTED"));
  EXPECT_TRUE(statement_pins_session("COMMIT; SET TRANSACTION READ ONLY; START TRANSACTION"));
}

// Regression: SESSION_TRACK* settings pinned when written as plain words, but the @@ form was
// skipped as a system variable, so changing the session tracker - which ShardGate relies on
// to replay state - went unnoticed (fixed in 481d993).
TEST(statement_pins_session, session_track_via_system_variable_syntax) {
  EXPECT_TRUE(statement_pins_session("SET @@session.session_track_system_variables=''"));
  EXPECT_TRUE(statement_pins_session("SET @@session_track_schema=OFF"));
}

}  // namespace
}  // namespace shardgate::session
