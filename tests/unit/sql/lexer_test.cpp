// sql::lexer: MySQL/MariaDB lexical rules, token kinds and texts, offsets, termination, and
// the string_value / identifier_value / is_keyword helpers.
#include "sql/lexer.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::sql {
namespace {

using namespace std::string_view_literals;

struct expected_token {
  token_kind kind;
  std::string_view text;
};

struct lex_case {
  const char* name;
  std::string_view sql;
  std::vector<expected_token> tokens;  // up to (excluding) `end`; an `error` token ends it
};

constexpr token_kind I = token_kind::identifier;
constexpr token_kind Q = token_kind::quoted_identifier;
constexpr token_kind N = token_kind::number;
constexpr token_kind S = token_kind::string;
constexpr token_kind HX = token_kind::hex_string;
constexpr token_kind BS = token_kind::bit_string;
constexpr token_kind P = token_kind::placeholder;
constexpr token_kind UV = token_kind::user_variable;
constexpr token_kind SV = token_kind::system_variable;
constexpr token_kind O = token_kind::op;
constexpr token_kind LP = token_kind::lparen;
constexpr token_kind RP = token_kind::rparen;
constexpr token_kind CM = token_kind::comma;
constexpr token_kind SC = token_kind::semicolon;
constexpr token_kind D = token_kind::dot;
constexpr token_kind H = token_kind::hint;
constexpr token_kind E = token_kind::error;

std::string describe(token_kind kind, std::string_view text) {
  std::string s = token_kind_name(kind);
  s += " `";
  s += text;
  s += '`';
  return s;
}

// Lexes until `end` (excluded) or `error` (included), at most sql.size() + 2 tokens, checking
// that every token lies within the input and that offsets never go backwards.
std::vector<token> lex_tokens(std::string_view sql) {
  std::vector<token> out;
  lexer lx(sql);
  std::uint32_t last_offset = 0;
  for (std::size_t i = 0; i < sql.size() + 2; ++i) {
    const token t = lx.next();
    EXPECT_LE(static_cast<std::size_t>(t.offset) + t.length, sql.size())
        << "token out of bounds at index " << i;
    EXPECT_GE(t.offset, last_offset) << "offset went backwards at index " << i;
    last_offset = t.offset;
    if (t.kind == token_kind::end) return out;
    out.push_back(t);
    if (t.kind == token_kind::error) return out;
  }
  ADD_FAILURE() << "lexer did not reach end/error within " << sql.size() + 2 << " tokens";
  return out;
}

std::vector<std::string> lex_described(std::string_view sql) {
  std::vector<std::string> out;
  for (const token& t : lex_tokens(sql)) out.push_back(describe(t.kind, t.text(sql)));
  return out;
}

const std::vector<lex_case>& lex_cases() {
  static const std::vector<lex_case> cases = {
      // --- Identifiers.
      {"empty_input", "", {}},
      {"only_spaces", "   \t\r\n  ", {}},
      {"ident_simple", "orders", {{I, "orders"}}},
      {"ident_keyword_is_identifier", "SELECT", {{I, "SELECT"}}},
      {"ident_underscore_start", "_id", {{I, "_id"}}},
      {"ident_with_digits", "t1_2", {{I, "t1_2"}}},
      {"ident_dollar_inside", "a$b", {{I, "a$b"}}},
      {"ident_dollar_start", "$x", {{I, "$x"}}},
      {"ident_utf8_latin", "caf\xc3\xa9", {{I, "caf\xc3\xa9"}}},
      {"ident_utf8_cjk", "\xe8\xa1\xa8\xe5\x90\x8d", {{I, "\xe8\xa1\xa8\xe5\x90\x8d"}}},
      {"ident_utf8_then_ascii",
       "\xc3\xa9t\xc3\xa9 = 1",
       {{I, "\xc3\xa9t\xc3\xa9"}, {O, "="}, {N, "1"}}},
      {"ident_digits_first", "1abc", {{I, "1abc"}}},
      {"ident_digit_letter", "2t", {{I, "2t"}}},
      {"ident_digits_underscore", "123_abc", {{I, "123_abc"}}},
      {"ident_1e_alone", "1e", {{I, "1e"}}},
      {"ident_1e_then_space", "1e x", {{I, "1e"}, {I, "x"}}},
      {"ident_upper_0X_hex", "0X1f", {{I, "0X1f"}}},
      {"ident_upper_0B_bin", "0B101", {{I, "0B101"}}},
      {"ident_x_alone", "x = 1", {{I, "x"}, {O, "="}, {N, "1"}}},
      {"ident_b_alone", "b", {{I, "b"}}},
      {"ident_n_alone", "n", {{I, "n"}}},
      {"ident_x_space_string", "x '41'", {{I, "x"}, {S, "'41'"}}},
      {"ident_two_words", "a b", {{I, "a"}, {I, "b"}}},
      {"ident_tab_newline_separated", "a\tb\r\nc", {{I, "a"}, {I, "b"}, {I, "c"}}},
      // Quoted identifiers.
      {"quoted_ident", "`orders`", {{Q, "`orders`"}}},
      {"quoted_ident_with_space", "`my table`", {{Q, "`my table`"}}},
      {"quoted_ident_escaped_backquote", "`a``b`", {{Q, "`a``b`"}}},
      {"quoted_ident_only_escape", "````", {{Q, "````"}}},
      {"quoted_ident_keyword", "`select`", {{Q, "`select`"}}},
      {"quoted_ident_with_quotes", "`it's \"x\"`", {{Q, "`it's \"x\"`"}}},
      {"quoted_ident_with_comment_chars", "`a/*b*/--#`", {{Q, "`a/*b*/--#`"}}},
      {"quoted_ident_unterminated", "`abc", {{E, "`abc"}}},
      {"quoted_ident_unterminated_after_escape", "`a``", {{E, "`a``"}}},
      {"quoted_ident_two_escapes", "`a``b``c`", {{Q, "`a``b``c`"}}},
      {"quoted_ident_then_ident", "`a` b", {{Q, "`a`"}, {I, "b"}}},
      {"quoted_ident_backslash_is_literal", "`a\\` b", {{Q, "`a\\`"}, {I, "b"}}},
      // Qualified names.
      {"qualified_db_t_col", "db.t.col", {{I, "db"}, {D, "."}, {I, "t"}, {D, "."}, {I, "col"}}},
      {"qualified_star", "t.*", {{I, "t"}, {D, "."}, {O, "*"}}},
      {"qualified_quoted", "`db`.`t`", {{Q, "`db`"}, {D, "."}, {Q, "`t`"}}},
      {"qualified_mixed", "db.`t`.c", {{I, "db"}, {D, "."}, {Q, "`t`"}, {D, "."}, {I, "c"}}},
      {"qualified_keyword_column", "t.select", {{I, "t"}, {D, "."}, {I, "select"}}},
      {"qualified_count_star",
       "COUNT(t.*)",
       {{I, "COUNT"}, {LP, "("}, {I, "t"}, {D, "."}, {O, "*"}, {RP, ")"}}},
      // --- Numbers.
      {"num_zero", "0", {{N, "0"}}},
      {"num_integer", "42", {{N, "42"}}},
      {"num_leading_zeros", "007", {{N, "007"}}},
      {"num_big", "12345678901234567890", {{N, "12345678901234567890"}}},
      {"num_decimal", "1.5", {{N, "1.5"}}},
      {"num_leading_dot", ".5", {{N, ".5"}}},
      {"num_leading_dot_after_op", "a=.5", {{I, "a"}, {O, "="}, {N, ".5"}}},
      {"num_leading_dot_after_paren", "(.5)", {{LP, "("}, {N, ".5"}, {RP, ")"}}},
      {"num_leading_dot_after_comma", "1,.5", {{N, "1"}, {CM, ","}, {N, ".5"}}},
      {"num_leading_dot_after_keyword_space", "SELECT .5", {{I, "SELECT"}, {N, ".5"}}},
      {"num_leading_dot_between_keywords",
       "a BETWEEN .1 AND .9",
       {{I, "a"}, {I, "BETWEEN"}, {N, ".1"}, {I, "AND"}, {N, ".9"}}},
      {"num_trailing_dot_exponent", "1.e5", {{N, "1.e5"}}},
      {"ident_0x_alone", "0x", {{I, "0x"}}},
      {"ident_0x_non_hex", "0xg", {{I, "0xg"}}},
      {"ident_0x_hex_then_letter", "0x1g", {{I, "0x1g"}}},
      {"ident_0b_non_binary", "0b2", {{I, "0b2"}}},
      {"num_trailing_dot", "1.", {{N, "1."}}},
      {"num_trailing_dot_then_space", "1. ", {{N, "1."}}},
      {"num_exponent", "1e10", {{N, "1e10"}}},
      {"num_exponent_upper", "1E10", {{N, "1E10"}}},
      {"num_exponent_1e5", "1e5", {{N, "1e5"}}},
      {"num_decimal_exponent_negative", "1.5E-3", {{N, "1.5E-3"}}},
      {"num_exponent_plus", "1e+3", {{N, "1e+3"}}},
      {"num_leading_dot_exponent", ".5e1", {{N, ".5e1"}}},
      {"num_hex", "0x1F", {{N, "0x1F"}}},
      {"num_hex_lower", "0x1f", {{N, "0x1f"}}},
      {"num_hex_long", "0xDEADbeef", {{N, "0xDEADbeef"}}},
      {"num_binary", "0b101", {{N, "0b101"}}},
      {"num_binary_zero", "0b0", {{N, "0b0"}}},
      {"num_negative_is_op_then_number", "-5", {{O, "-"}, {N, "5"}}},
      {"num_minus_in_expression", "a-1", {{I, "a"}, {O, "-"}, {N, "1"}}},
      {"num_minus_between_numbers", "1-1", {{N, "1"}, {O, "-"}, {N, "1"}}},
      {"num_plus_between_numbers", "1+2", {{N, "1"}, {O, "+"}, {N, "2"}}},
      {"num_then_comma", "1,2", {{N, "1"}, {CM, ","}, {N, "2"}}},
      {"num_then_rparen", "(1)", {{LP, "("}, {N, "1"}, {RP, ")"}}},
      {"num_equals_negative", "a=-1", {{I, "a"}, {O, "="}, {O, "-"}, {N, "1"}}},
      {"num_double_minus_no_space", "1--1", {{N, "1"}, {O, "-"}, {O, "-"}, {N, "1"}}},
      // --- Strings.
      {"str_single", "'a'", {{S, "'a'"}}},
      {"str_double", "\"a\"", {{S, "\"a\""}}},
      {"str_empty", "''", {{S, "''"}}},
      {"str_empty_double", "\"\"", {{S, "\"\""}}},
      {"str_doubled_quote", "'it''s'", {{S, "'it''s'"}}},
      {"str_doubled_double_quote", "\"say \"\"hi\"\"\"", {{S, "\"say \"\"hi\"\"\""}}},
      {"str_backslash_quote", "'a\\'b'", {{S, "'a\\'b'"}}},
      {"str_escaped_backslash_at_end", "'a\\\\'", {{S, "'a\\\\'"}}},
      {"str_escaped_backslash_then_more", "'a\\\\' b", {{S, "'a\\\\'"}, {I, "b"}}},
      {"str_double_with_escaped_double", "\"a\\\"b\"", {{S, "\"a\\\"b\""}}},
      {"str_single_inside_double", "\"it's\"", {{S, "\"it's\""}}},
      {"str_double_inside_single", "'say \"hi\"'", {{S, "'say \"hi\"'"}}},
      {"str_national_upper", "N'x'", {{S, "N'x'"}}},
      {"str_national_lower", "n'x'", {{S, "n'x'"}}},
      {"str_introducer_utf8mb4", "_utf8mb4'x'", {{S, "_utf8mb4'x'"}}},
      {"str_introducer_binary", "_binary'x'", {{S, "_binary'x'"}}},
      {"str_introducer_latin1_empty", "_latin1''", {{S, "_latin1''"}}},
      {"str_hex_upper", "X'1F'", {{HX, "X'1F'"}}},
      {"str_hex_lower", "x'1f'", {{HX, "x'1f'"}}},
      {"str_hex_empty", "X''", {{HX, "X''"}}},
      {"str_bit_upper", "B'101'", {{BS, "B'101'"}}},
      {"str_bit_lower", "b'0'", {{BS, "b'0'"}}},
      {"str_unterminated", "'abc", {{E, "'abc"}}},
      {"str_unterminated_double", "\"abc", {{E, "\"abc"}}},
      {"str_unterminated_after_escape", "'abc\\'", {{E, "'abc\\'"}}},
      {"str_unterminated_after_doubled", "'abc''", {{E, "'abc''"}}},
      {"str_unterminated_after_token", "a = 'x", {{I, "a"}, {O, "="}, {E, "'x"}}},
      {"str_unterminated_hex", "X'1F", {{E, "X'1F"}}},
      {"str_unterminated_national", "N'x", {{E, "N'x"}}},
      {"str_with_newline", "'a\nb'", {{S, "'a\nb'"}}},
      {"str_containing_comment", "'/* x */'", {{S, "'/* x */'"}}},
      {"str_containing_dash_comment", "'-- x'", {{S, "'-- x'"}}},
      {"str_containing_hash", "'#x'", {{S, "'#x'"}}},
      {"str_containing_backquote", "'`'", {{S, "'`'"}}},
      {"str_adjacent_strings", "'a' 'b'", {{S, "'a'"}, {S, "'b'"}}},
      {"str_adjacent_no_space_double", "'a''b'", {{S, "'a''b'"}}},
      {"str_utf8_content", "'caf\xc3\xa9'", {{S, "'caf\xc3\xa9'"}}},
      // --- Comments.
      {"comment_dash_space", "1 -- x\n2", {{N, "1"}, {N, "2"}}},
      {"comment_dash_tab", "1 --\tx\n2", {{N, "1"}, {N, "2"}}},
      {"comment_dash_newline", "1 --\n2", {{N, "1"}, {N, "2"}}},
      {"comment_dash_at_end", "1 --", {{N, "1"}}},
      {"comment_dash_to_end", "1 -- x", {{N, "1"}}},
      {"comment_dash_no_space_is_ops", "--x", {{O, "-"}, {O, "-"}, {I, "x"}}},
      {"comment_dash_crlf", "1 -- x\r\n2", {{N, "1"}, {N, "2"}}},
      {"comment_hash", "1 # x\n2", {{N, "1"}, {N, "2"}}},
      {"comment_hash_no_space", "1 #x\n2", {{N, "1"}, {N, "2"}}},
      {"comment_hash_to_end", "# only a comment", {}},
      {"comment_block", "1 /* x */ 2", {{N, "1"}, {N, "2"}}},
      {"comment_block_no_spaces", "1/*x*/2", {{N, "1"}, {N, "2"}}},
      {"comment_block_empty", "/**/1", {{N, "1"}}},
      {"comment_block_slash_inside", "/*/*/1", {{N, "1"}}},
      {"comment_block_not_nested", "/* a /* b */ 1", {{N, "1"}}},
      {"comment_block_multiline", "/* a\n b\n*/ 1", {{N, "1"}}},
      {"comment_block_stars", "/*** x ***/1", {{N, "1"}}},
      {"comment_block_with_quote", "/* it's */ 1", {{N, "1"}}},
      {"comment_block_unterminated", "/* x", {{E, "/* x"}}},
      {"comment_block_unterminated_after_token", "1 /* x", {{N, "1"}, {E, "/* x"}}},
      {"comment_block_only_opener", "/*", {{E, "/*"}}},
      {"comment_block_slash_star_slash", "/*/ 1", {{E, "/*/ 1"}}},
      {"comment_close_outside_is_ops", "1 */ 2", {{N, "1"}, {O, "*"}, {O, "/"}, {N, "2"}}},
      {"comment_optimizer_hint_skipped",
       "SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1",
       {{I, "SELECT"}, {N, "1"}}},
      {"comment_plain_shard_word_skipped", "/* shard: x */ 1", {{N, "1"}}},
      {"comment_dash_shardgate_not_hint", "-- shardgate: shard=x\n1", {{N, "1"}}},
      {"comment_hash_shardgate_not_hint", "# shardgate: shard=x\n1", {{N, "1"}}},
      // Executable comments.
      {"exec_comment_plain", "/*! SELECT 1 */", {{I, "SELECT"}, {N, "1"}}},
      {"exec_comment_version", "/*!50700 SELECT 1 */", {{I, "SELECT"}, {N, "1"}}},
      {"exec_comment_mariadb", "/*M!100100 SELECT 1 */", {{I, "SELECT"}, {N, "1"}}},
      {"exec_comment_mariadb_no_version", "/*M! SELECT 1 */", {{I, "SELECT"}, {N, "1"}}},
      {"exec_comment_no_spaces", "/*!SELECT 1*/", {{I, "SELECT"}, {N, "1"}}},
      {"exec_comment_inside_statement",
       "SELECT /*! STRAIGHT_JOIN */ a",
       {{I, "SELECT"}, {I, "STRAIGHT_JOIN"}, {I, "a"}}},
      {"exec_comment_set_names",
       "/*!40101 SET NAMES utf8 */;",
       {{I, "SET"}, {I, "NAMES"}, {I, "utf8"}, {SC, ";"}}},
      {"exec_comment_then_more",
       "/*! SELECT 1 */ + 2",
       {{I, "SELECT"}, {N, "1"}, {O, "+"}, {N, "2"}}},
      {"exec_comment_string_with_close", "/*! SELECT '*/' */", {{I, "SELECT"}, {S, "'*/'"}}},
      {"exec_comment_then_close_is_ops", "/*! 1 */ */", {{N, "1"}, {O, "*"}, {O, "/"}}},
      {"exec_comment_with_ops", "/*!50700 a<=>b */", {{I, "a"}, {O, "<=>"}, {I, "b"}}},
      {"exec_comment_nested_plain_comment",
       "/*!50700 SELECT /* c */ 1 */ 2",
       {{I, "SELECT"}, {N, "1"}, {N, "2"}}},
      // Hints.
      {"hint_alone", "/* shardgate: shard=shard1 */", {{H, "/* shardgate: shard=shard1 */"}}},
      {"hint_no_spaces", "/*shardgate:shard=x*/", {{H, "/*shardgate:shard=x*/"}}},
      {"hint_before_select",
       "/* shardgate: shard=shard1 */ SELECT 1",
       {{H, "/* shardgate: shard=shard1 */"}, {I, "SELECT"}, {N, "1"}}},
      {"hint_after_select",
       "SELECT /* shardgate: shard=s2 */ 1",
       {{I, "SELECT"}, {H, "/* shardgate: shard=s2 */"}, {N, "1"}}},
      {"hint_with_star_inside", "/* shardgate: a*b */1", {{H, "/* shardgate: a*b */"}, {N, "1"}}},
      {"hint_multiline",
       "/* shardgate:\n shard=x\n*/ 1",
       {{H, "/* shardgate:\n shard=x\n*/"}, {N, "1"}}},
      {"hint_unterminated", "/* shardgate: shard=x", {{E, "/* shardgate: shard=x"}}},
      // --- Operators.
      {"op_null_safe_eq", "a<=>b", {{I, "a"}, {O, "<=>"}, {I, "b"}}},
      {"op_json_unquote", "a->>'$.x'", {{I, "a"}, {O, "->>"}, {S, "'$.x'"}}},
      {"op_json_extract", "a->'$.x'", {{I, "a"}, {O, "->"}, {S, "'$.x'"}}},
      {"op_le", "a<=b", {{I, "a"}, {O, "<="}, {I, "b"}}},
      {"op_ge", "a>=b", {{I, "a"}, {O, ">="}, {I, "b"}}},
      {"op_ne_angle", "a<>b", {{I, "a"}, {O, "<>"}, {I, "b"}}},
      {"op_ne_bang", "a!=b", {{I, "a"}, {O, "!="}, {I, "b"}}},
      {"op_assign", "a:=b", {{I, "a"}, {O, ":="}, {I, "b"}}},
      {"op_or_pipes", "a||b", {{I, "a"}, {O, "||"}, {I, "b"}}},
      {"op_and_amps", "a&&b", {{I, "a"}, {O, "&&"}, {I, "b"}}},
      {"op_shift_left", "a<<b", {{I, "a"}, {O, "<<"}, {I, "b"}}},
      {"op_shift_right", "a>>b", {{I, "a"}, {O, ">>"}, {I, "b"}}},
      {"op_singles",
       "= < > ! + - * / % ^ & | ~ :",
       {{O, "="},
        {O, "<"},
        {O, ">"},
        {O, "!"},
        {O, "+"},
        {O, "-"},
        {O, "*"},
        {O, "/"},
        {O, "%"},
        {O, "^"},
        {O, "&"},
        {O, "|"},
        {O, "~"},
        {O, ":"}}},
      {"op_triple_pipe", "a|||b", {{I, "a"}, {O, "||"}, {O, "|"}, {I, "b"}}},
      {"op_double_equals", "a==b", {{I, "a"}, {O, "="}, {O, "="}, {I, "b"}}},
      {"op_shift_then_equals", "a<<=b", {{I, "a"}, {O, "<<"}, {O, "="}, {I, "b"}}},
      {"op_ne_then_equals", "a<>=b", {{I, "a"}, {O, "<>"}, {O, "="}, {I, "b"}}},
      {"op_lt_minus", "a<-1", {{I, "a"}, {O, "<"}, {O, "-"}, {N, "1"}}},
      {"op_bang_bang", "!!a", {{O, "!"}, {O, "!"}, {I, "a"}}},
      {"op_colon_alone", "a:b", {{I, "a"}, {O, ":"}, {I, "b"}}},
      {"op_arrow_then_gt", "a->>>b", {{I, "a"}, {O, "->>"}, {O, ">"}, {I, "b"}}},
      {"op_minus_gt_spaced", "a - > b", {{I, "a"}, {O, "-"}, {O, ">"}, {I, "b"}}},
      {"op_le_then_gt", "a<=>>b", {{I, "a"}, {O, "<=>"}, {O, ">"}, {I, "b"}}},
      // Punctuation and placeholders.
      {"punct_all", "( ) , ; .", {{LP, "("}, {RP, ")"}, {CM, ","}, {SC, ";"}, {D, "."}}},
      {"punct_nested_parens", "((a))", {{LP, "("}, {LP, "("}, {I, "a"}, {RP, ")"}, {RP, ")"}}},
      {"placeholder", "?", {{P, "?"}}},
      {"placeholders_adjacent", "??", {{P, "?"}, {P, "?"}}},
      {"placeholder_in_list", "(?,?)", {{LP, "("}, {P, "?"}, {CM, ","}, {P, "?"}, {RP, ")"}}},
      {"placeholder_in_string_is_string", "'?'", {{S, "'?'"}}},
      // --- Variables.
      {"uvar_simple", "@x", {{UV, "@x"}}},
      {"uvar_underscore_digits", "@x_1", {{UV, "@x_1"}}},
      {"uvar_single_quoted", "@'my var'", {{UV, "@'my var'"}}},
      {"uvar_backquoted", "@`v`", {{UV, "@`v`"}}},
      {"uvar_double_quoted", "@\"v\"", {{UV, "@\"v\""}}},
      {"uvar_assign", "@x:=1", {{UV, "@x"}, {O, ":="}, {N, "1"}}},
      {"uvar_after_op", "1+@x", {{N, "1"}, {O, "+"}, {UV, "@x"}}},
      {"uvar_then_comma", "@a,@b", {{UV, "@a"}, {CM, ","}, {UV, "@b"}}},
      {"uvar_unterminated_quoted", "@'abc", {{E, "@'abc"}}},
      {"svar_simple", "@@x", {{SV, "@@x"}}},
      {"svar_session", "@@session.sql_mode", {{SV, "@@session.sql_mode"}}},
      {"svar_global_upper", "@@GLOBAL.x", {{SV, "@@GLOBAL.x"}}},
      {"svar_local", "@@local.wait_timeout", {{SV, "@@local.wait_timeout"}}},
      {"svar_then_eq", "@@autocommit=1", {{SV, "@@autocommit"}, {O, "="}, {N, "1"}}},
      {"svar_then_comma_uvar", "@@session.x, @y", {{SV, "@@session.x"}, {CM, ","}, {UV, "@y"}}},
      {"lone_at_then_space", "@ x", {{E, "@"}}},
      {"lone_at_after_select", "SELECT @ x", {{I, "SELECT"}, {E, "@"}}},
      {"lone_at_at_end", "SELECT @", {{I, "SELECT"}, {E, "@"}}},
      {"lone_double_at", "@@ x", {{E, "@@"}}},
      // --- Stray bytes.
      {"stray_bracket", "SELECT [", {{I, "SELECT"}, {E, "["}}},
      // --- Whole statements.
      {"stmt_select_where_string",
       "SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'",
       {{I, "SELECT"},
        {O, "*"},
        {I, "FROM"},
        {I, "orders"},
        {I, "WHERE"},
        {I, "order_no"},
        {O, "="},
        {S, "'ORD2026112200000001'"}}},
      {"stmt_insert_values",
       "INSERT INTO t (a,b) VALUES (1,'x'),(2,'y')",
       {{I, "INSERT"}, {I, "INTO"},   {I, "t"},  {LP, "("}, {I, "a"},   {CM, ","},  {I, "b"},
        {RP, ")"},     {I, "VALUES"}, {LP, "("}, {N, "1"},  {CM, ","},  {S, "'x'"}, {RP, ")"},
        {CM, ","},     {LP, "("},     {N, "2"},  {CM, ","}, {S, "'y'"}, {RP, ")"}}},
      {"stmt_key_hidden_in_comment",
       "SELECT 1 /* WHERE order_no = 'x' */",
       {{I, "SELECT"}, {N, "1"}}},
      {"stmt_key_hidden_in_string",
       "SELECT 'WHERE order_no = 1' FROM t",
       {{I, "SELECT"}, {S, "'WHERE order_no = 1'"}, {I, "FROM"}, {I, "t"}}},
      {"stmt_key_hidden_in_line_comment",
       "SELECT a FROM t -- WHERE order_no = 'x'\nWHERE id = 3",
       {{I, "SELECT"},
        {I, "a"},
        {I, "FROM"},
        {I, "t"},
        {I, "WHERE"},
        {I, "id"},
        {O, "="},
        {N, "3"}}},
      {"stmt_update",
       "UPDATE orders SET status='paid', n=n+1 WHERE id IN (?, ?, ?);",
       {{I, "UPDATE"}, {I, "orders"}, {I, "SET"}, {I, "status"}, {O, "="}, {S, "'paid'"},
        {CM, ","},     {I, "n"},      {O, "="},   {I, "n"},      {O, "+"}, {N, "1"},
        {I, "WHERE"},  {I, "id"},     {I, "IN"},  {LP, "("},     {P, "?"}, {CM, ","},
        {P, "?"},      {CM, ","},     {P, "?"},   {RP, ")"},     {SC, ";"}}},
      {"stmt_delete_qualified",
       "DELETE FROM `shop`.`orders` WHERE `orders`.`id`=0x1F",
       {{I, "DELETE"},
        {I, "FROM"},
        {Q, "`shop`"},
        {D, "."},
        {Q, "`orders`"},
        {I, "WHERE"},
        {Q, "`orders`"},
        {D, "."},
        {Q, "`id`"},
        {O, "="},
        {N, "0x1F"}}},
      {"stmt_hint_then_select",
       "/* shardgate: shard=shard1 */ SELECT * FROM t WHERE id=1",
       {{H, "/* shardgate: shard=shard1 */"},
        {I, "SELECT"},
        {O, "*"},
        {I, "FROM"},
        {I, "t"},
        {I, "WHERE"},
        {I, "id"},
        {O, "="},
        {N, "1"}}},
      {"stmt_json_select",
       "SELECT doc->>'$.name' FROM t WHERE doc->'$.id' = 5",
       {{I, "SELECT"},
        {I, "doc"},
        {O, "->>"},
        {S, "'$.name'"},
        {I, "FROM"},
        {I, "t"},
        {I, "WHERE"},
        {I, "doc"},
        {O, "->"},
        {S, "'$.id'"},
        {O, "="},
        {N, "5"}}},
      {"stmt_set_vars",
       "SET @@session.sql_mode='ANSI', @x := 1",
       {{I, "SET"},
        {SV, "@@session.sql_mode"},
        {O, "="},
        {S, "'ANSI'"},
        {CM, ","},
        {UV, "@x"},
        {O, ":="},
        {N, "1"}}},
      {"stmt_literals_mix",
       "SELECT x'41', b'1', 0x41, 0b1, N'n', _utf8mb4'u', 1.5e3",
       {{I, "SELECT"},
        {HX, "x'41'"},
        {CM, ","},
        {BS, "b'1'"},
        {CM, ","},
        {N, "0x41"},
        {CM, ","},
        {N, "0b1"},
        {CM, ","},
        {S, "N'n'"},
        {CM, ","},
        {S, "_utf8mb4'u'"},
        {CM, ","},
        {N, "1.5e3"}}},
      {"stmt_count_star",
       "SELECT COUNT(*) FROM t",
       {{I, "SELECT"}, {I, "COUNT"}, {LP, "("}, {O, "*"}, {RP, ")"}, {I, "FROM"}, {I, "t"}}},
      {"stmt_call_with_var",
       "CALL p(@x)",
       {{I, "CALL"}, {I, "p"}, {LP, "("}, {UV, "@x"}, {RP, ")"}}},
      {"stmt_two_statements",
       "SELECT 1; SELECT 2",
       {{I, "SELECT"}, {N, "1"}, {SC, ";"}, {I, "SELECT"}, {N, "2"}}},
      {"stmt_string_with_escapes",
       "SELECT 'a\\'b', \"c\\\"d\", 'e''f'",
       {{I, "SELECT"}, {S, "'a\\'b'"}, {CM, ","}, {S, "\"c\\\"d\""}, {CM, ","}, {S, "'e''f'"}}},
      {"stmt_mysqldump_header",
       "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
       {{I, "SET"},
        {UV, "@OLD_CHARACTER_SET_CLIENT"},
        {O, "="},
        {SV, "@@CHARACTER_SET_CLIENT"},
        {SC, ";"}}},
      {"stmt_lowercase",
       "select a from t where b<>'x'",
       {{I, "select"},
        {I, "a"},
        {I, "from"},
        {I, "t"},
        {I, "where"},
        {I, "b"},
        {O, "<>"},
        {S, "'x'"}}},
      {"stmt_negative_in_where",
       "SELECT * FROM t WHERE a=-1.5",
       {{I, "SELECT"},
        {O, "*"},
        {I, "FROM"},
        {I, "t"},
        {I, "WHERE"},
        {I, "a"},
        {O, "="},
        {O, "-"},
        {N, "1.5"}}},
      {"stmt_unterminated_string_stops", "SELECT 'abc FROM t", {{I, "SELECT"}, {E, "'abc FROM t"}}},
  };
  return cases;
}

class LexCase : public ::testing::TestWithParam<lex_case> {};

void PrintTo(const lex_case& c, std::ostream* os) {
  *os << c.name;
}

TEST_P(LexCase, Tokens) {
  const lex_case& c = GetParam();
  std::vector<std::string> expected;
  for (const expected_token& t : c.tokens) expected.push_back(describe(t.kind, t.text));
  EXPECT_EQ(lex_described(c.sql), expected) << "sql: " << c.sql;
}

INSTANTIATE_TEST_SUITE_P(Lexer, LexCase, ::testing::ValuesIn(lex_cases()),
                         [](const ::testing::TestParamInfo<lex_case>& info) {
                           return std::string(info.param.name);
                         });

TEST(Lexer, CaseCount) {
  EXPECT_GE(lex_cases().size(), 150u);
}

// --- Offsets.

TEST(Lexer, UnterminatedExecutableCommentIsError) {
  // MySQL: "Unbalanced comments with a missing '*' '/' are a syntax error", executable ones
  // included.
  for (std::string_view sql : {"/*! SELECT 1"sv, "/*!50700 SELECT 1"sv, "/*M!100100 SELECT 1"sv,
                               "SELECT /*! STRAIGHT_JOIN a FROM t"sv}) {
    const std::vector<token> t = lex_tokens(sql);
    ASSERT_FALSE(t.empty()) << sql;
    EXPECT_EQ(t.back().kind, token_kind::error) << sql;
  }
}

TEST(Lexer, NoBackslashEscapesLexing) {
  // With NO_BACKSLASH_ESCAPES a backslash is an ordinary character: 'a\' ends the string.
  const std::string_view sql = "SELECT 'a\\' b, \"c\\\" d";
  lexer lx(sql, true);
  std::vector<std::string> got;
  for (std::size_t i = 0; i < sql.size() + 2; ++i) {
    const token t = lx.next();
    if (t.kind == token_kind::end) break;
    got.push_back(describe(t.kind, t.text(sql)));
    if (t.kind == token_kind::error) break;
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"identifier `SELECT`", "string `'a\\'`", "identifier `b`",
                                      "comma `,`", "string `\"c\\\"`", "identifier `d`"}));
  // The same text with escapes on: the string swallows the rest and is unterminated.
  const std::vector<token> escaped = lex_tokens("SELECT 'a\\' b");
  ASSERT_EQ(escaped.size(), 2u);
  EXPECT_EQ(escaped[1].kind, token_kind::error);
}

TEST(Lexer, OffsetsOfSelect) {
  const std::string_view sql = "SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'";
  const std::vector<token> t = lex_tokens(sql);
  ASSERT_EQ(t.size(), 8u);
  const std::uint32_t offsets[] = {0, 7, 9, 14, 21, 27, 36, 38};
  const std::uint32_t lengths[] = {6, 1, 4, 6, 5, 8, 1, 21};
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].offset, offsets[i]) << i;
    EXPECT_EQ(t[i].length, lengths[i]) << i;
  }
}

TEST(Lexer, OffsetsInsideExecutableComment) {
  const std::string_view sql = "/*!50700 SELECT 1 */";
  const std::vector<token> t = lex_tokens(sql);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].offset, 9u);
  EXPECT_EQ(t[0].length, 6u);
  EXPECT_EQ(t[1].offset, 16u);
  EXPECT_EQ(t[1].length, 1u);
}

TEST(Lexer, OffsetsAfterCommentsAndHint) {
  const std::string_view sql = "/* c */ /* shardgate: shard=a */ -- x\n`t`.c # y\n";
  const std::vector<token> t = lex_tokens(sql);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, token_kind::hint);
  EXPECT_EQ(t[0].offset, 8u);
  EXPECT_EQ(t[0].length, 24u);
  EXPECT_EQ(t[1].kind, token_kind::quoted_identifier);
  EXPECT_EQ(t[1].offset, 38u);
  EXPECT_EQ(t[1].length, 3u);
  EXPECT_EQ(t[2].kind, token_kind::dot);
  EXPECT_EQ(t[2].offset, 41u);
  EXPECT_EQ(t[3].kind, token_kind::identifier);
  EXPECT_EQ(t[3].offset, 42u);
  EXPECT_EQ(t[3].length, 1u);
}

TEST(Lexer, OffsetsOfMultiByteIdentifier) {
  const std::string_view sql = "a = caf\xc3\xa9";
  const std::vector<token> t = lex_tokens(sql);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[2].offset, 4u);
  EXPECT_EQ(t[2].length, 5u);
}

TEST(Lexer, EndIsStickyAndEmpty) {
  const std::string_view sql = "SELECT 1";
  lexer lx(sql);
  EXPECT_EQ(lx.next().kind, token_kind::identifier);
  EXPECT_EQ(lx.next().kind, token_kind::number);
  for (int i = 0; i < 3; ++i) {
    const token t = lx.next();
    EXPECT_EQ(t.kind, token_kind::end);
    EXPECT_EQ(t.length, 0u);
    EXPECT_LE(t.offset, sql.size());
  }
  EXPECT_EQ(lx.source(), sql);
}

TEST(Lexer, TokenKindNamesAreDistinct) {
  const token_kind kinds[] = {token_kind::end,
                              token_kind::identifier,
                              token_kind::quoted_identifier,
                              token_kind::number,
                              token_kind::string,
                              token_kind::hex_string,
                              token_kind::bit_string,
                              token_kind::placeholder,
                              token_kind::user_variable,
                              token_kind::system_variable,
                              token_kind::op,
                              token_kind::lparen,
                              token_kind::rparen,
                              token_kind::comma,
                              token_kind::semicolon,
                              token_kind::dot,
                              token_kind::hint,
                              token_kind::error};
  std::vector<std::string> names;
  for (token_kind k : kinds) {
    const char* n = token_kind_name(k);
    ASSERT_NE(n, nullptr);
    EXPECT_NE(std::string(n), "");
    for (const std::string& other : names) EXPECT_NE(other, n);
    names.emplace_back(n);
  }
}

// --- Robustness: every prefix of tricky statements ends in end/error, within bounds.

const std::vector<std::string_view>& tricky_statements() {
  static const std::vector<std::string_view> v = {
      "SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'",
      "INSERT INTO t (a,b) VALUES (1,'x'),(2,'y')",
      "SELECT 'it''s', \"a\\\"b\", 'c\\\\'",
      "/*!50700 SELECT 1 */",
      "/*M!100100 SELECT /*+ hint */ 1 */",
      "/* shardgate: shard=shard1 */ SELECT 1",
      "SELECT 1 -- x\n# y\n/* z */ 2",
      "SELECT `a``b`.`c` FROM `d`",
      "SELECT @x, @'y z', @`w`, @\"v\", @@session.sql_mode, @@GLOBAL.x",
      "SELECT 1e5, 1.5E-3, .5, 1., 0x1F, 0b101, 1abc, 1e, 0X1f",
      "SELECT X'1F', B'101', N'x', _utf8mb4'x', _binary'\\0'",
      "a<=>b->>c->d<=e>=f<>g!=h:=i||j&&k<<l>>m",
      "SELECT ?, ?, (?)",
      "SELECT --x, -- y\n1",
      "/*/*/ */ */",
      "SELECT 'unterminated",
      "SELECT \"unterminated \\\"",
      "SELECT `unterminated",
      "/* unterminated",
      "/*! SELECT '*/' */ */",
      "@ @@ @' @` @\"",
      "SELECT caf\xc3\xa9, \xe8\xa1\xa8 FROM \xff\xfe",
      "\x01\x02\x7f",
      "SELECT t.*, db.t.c, t.5, a.`b`",
      "SELECT 1.e5, 1e+, 1e-, 0x, 0b, 0xg",
      "SELECT '\\",
      "/*!",
      "/*M!",
      "\\N \\ { } [ ]",
      "SELECT 1;;; -- \n\r\n\t",
  };
  return v;
}

TEST(Lexer, EveryPrefixOfTrickyStatementsTerminates) {
  ASSERT_GE(tricky_statements().size(), 30u);
  for (std::string_view full : tricky_statements()) {
    for (std::size_t n = 0; n <= full.size(); ++n) {
      const std::string_view sql = full.substr(0, n);
      SCOPED_TRACE(std::string(sql));
      lexer lx(sql);
      bool done = false;
      std::uint32_t last_offset = 0;
      for (std::size_t i = 0; i < sql.size() + 2 && !done; ++i) {
        const token t = lx.next();
        ASSERT_LE(static_cast<std::size_t>(t.offset) + t.length, sql.size());
        ASSERT_GE(t.offset, last_offset);
        last_offset = t.offset;
        if (t.kind != token_kind::end && t.kind != token_kind::error) {
          ASSERT_GT(t.length, 0u) << "empty non-end token";
        }
        done = t.kind == token_kind::end || t.kind == token_kind::error;
        std::string value;
        if (t.kind == token_kind::string) {
          EXPECT_TRUE(string_value(t.text(sql), value));
        }
        if (t.kind == token_kind::identifier || t.kind == token_kind::quoted_identifier) {
          (void)identifier_value(t.text(sql));
        }
      }
      EXPECT_TRUE(done) << "no end/error within " << sql.size() + 2 << " tokens";
    }
  }
}

TEST(Lexer, AllSingleBytesTerminate) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const std::string sql(1, c);
    const std::vector<token> t = lex_tokens(sql);
    EXPECT_LE(t.size(), 1u) << "byte " << b;
  }
}

// --- tokenize(): the same tokens as next(), with hints left out.

// Every token next() returns (hints left out), up to end / the first error.
struct next_tokens {
  std::vector<token> tokens;
  token stop;
  token last_hint;
};
next_tokens lex_with_next(std::string_view sql, bool no_backslash_escapes) {
  next_tokens r;
  lexer lx(sql, no_backslash_escapes);
  for (std::size_t i = 0; i < sql.size() + 2; ++i) {
    const token t = lx.next();
    if (t.kind == token_kind::hint) {
      r.last_hint = t;
      continue;
    }
    if (t.kind == token_kind::end || t.kind == token_kind::error) {
      r.stop = t;
      break;
    }
    r.tokens.push_back(t);
  }
  return r;
}

void expect_same_tokens(std::string_view sql, bool no_backslash_escapes) {
  SCOPED_TRACE(std::string(sql));
  const next_tokens want = lex_with_next(sql, no_backslash_escapes);
  std::vector<token> got;
  lexer lx(sql, no_backslash_escapes);
  const tokenize_result r = lx.tokenize(got);
  ASSERT_EQ(got.size(), want.tokens.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kind, want.tokens[i].kind) << "token " << i;
    EXPECT_EQ(got[i].code, want.tokens[i].code) << "token " << i;
    EXPECT_EQ(got[i].offset, want.tokens[i].offset) << "token " << i;
    EXPECT_EQ(got[i].length, want.tokens[i].length) << "token " << i;
  }
  EXPECT_EQ(r.stop.kind, want.stop.kind);
  EXPECT_EQ(r.stop.offset, want.stop.offset);
  EXPECT_EQ(r.error, want.stop.kind == token_kind::error);
  EXPECT_EQ(r.last_hint.kind, want.last_hint.kind);
  EXPECT_EQ(r.last_hint.offset, want.last_hint.offset);
}

TEST(Lexer, TokenizeMatchesNextOnEveryCaseAndPrefix) {
  std::vector<std::string_view> inputs;
  for (const lex_case& c : lex_cases()) inputs.push_back(c.sql);
  for (std::string_view s : tricky_statements()) inputs.push_back(s);
  inputs.push_back("SELECT a.b.c, t.5, `t`.`5`, x.`y`.z FROM t WHERE k = 'x''y' AND j = \"q\\\"\"");
  inputs.push_back(
      "INSERT INTO t (a, b) VALUES (1, 'a'), (2, N'b'), (0x1F, _utf8mb4'c'), (1.5, X'0A')");
  inputs.push_back("SELECT/*shardgate: shard=s1*/a/*!50700 ,b*/ FROM t -- x\n WHERE k=1");
  for (std::string_view full : inputs)
    for (std::size_t n = 0; n <= full.size(); ++n) {
      expect_same_tokens(full.substr(0, n), false);
      expect_same_tokens(full.substr(0, n), true);
    }
}

// --- keyword ids.

TEST(Lexer, KeywordIdsOfIdentifiers) {
  const std::string_view sql =
      "select From wHeRe order_no SQL_CALC_FOUND_ROWS sql_calc_found_rowsx `select` Select_";
  std::vector<token> t;
  lexer lx(sql);
  lx.tokenize(t);
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t[0].code, keyword_id("SELECT"));
  EXPECT_EQ(t[1].code, keyword_id("FROM"));
  EXPECT_EQ(t[2].code, keyword_id("WHERE"));
  EXPECT_EQ(t[3].code, 0);
  EXPECT_EQ(t[4].code, keyword_id("SQL_CALC_FOUND_ROWS"));
  EXPECT_EQ(t[5].code, 0);
  EXPECT_EQ(t[6].code, 0);  // a quoted identifier is never a keyword
  EXPECT_EQ(t[7].code, 0);
}

TEST(Lexer, KeywordOfAgreesWithTheListInEveryCase) {
  // Every keyword in three letter cases, at the end of a text (byte loop) and with room
  // behind it (8-byte loads); and near misses.
  for (std::size_t k = 1; k < keyword_count; ++k) {
    const std::string upper(keyword_words[k]);
    std::string lower = upper, mixed = upper;
    for (std::size_t i = 0; i < upper.size(); ++i) {
      lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(upper[i])));
      if (i % 2) mixed[i] = lower[i];
    }
    for (const std::string& w : {upper, lower, mixed}) {
      EXPECT_EQ(keyword_of(w), k) << w;
      const std::string padded = w + " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
      EXPECT_EQ(keyword_at(padded, 0, w.size()), k) << w;
      EXPECT_EQ(keyword_at(padded, 0, w.size() - 1), keyword_of(w.substr(0, w.size() - 1))) << w;
      EXPECT_NE(keyword_of(w + "Q"), k) << w;
      EXPECT_NE(keyword_of("Q" + w), k) << w;
    }
  }
  EXPECT_EQ(keyword_of(""), 0);
  EXPECT_EQ(keyword_of("S"), 0);
  EXPECT_EQ(keyword_of("SEL\xc3\xa9"
                       "CT"),
            0);
  EXPECT_EQ(keyword_of("SELE\x7f"), 0);
  EXPECT_EQ(keyword_of("S\x45LECT"), keyword_id("SELECT"));  // \x45 is 'E'
}

// --- is_keyword.

TEST(Lexer, IsKeyword) {
  EXPECT_TRUE(is_keyword("SELECT", "SELECT"));
  EXPECT_TRUE(is_keyword("select", "SELECT"));
  EXPECT_TRUE(is_keyword("sElEcT", "SELECT"));
  EXPECT_FALSE(is_keyword("SELECTX", "SELECT"));
  EXPECT_FALSE(is_keyword("SELEC", "SELECT"));
  EXPECT_FALSE(is_keyword("FROM", "SELECT"));
  EXPECT_FALSE(is_keyword("", "SELECT"));
  EXPECT_FALSE(is_keyword("`select`", "SELECT"));
  EXPECT_TRUE(is_keyword("order_no", "ORDER_NO"));
  EXPECT_FALSE(is_keyword("caf\xc3\xa9", "CAFE"));
}

// --- string_value.

std::string value_of(std::string_view text, bool no_backslash_escapes = false) {
  std::string out;
  EXPECT_TRUE(string_value(text, out, no_backslash_escapes)) << text;
  return out;
}

TEST(Lexer, StringValuePlain) {
  EXPECT_EQ(value_of("'a'"), "a");
  EXPECT_EQ(value_of("\"a\""), "a");
  EXPECT_EQ(value_of("''"), "");
  EXPECT_EQ(value_of("'ORD2026112200000001'"), "ORD2026112200000001");
  EXPECT_EQ(value_of("'caf\xc3\xa9'"), "caf\xc3\xa9");
}

TEST(Lexer, StringValueDoubledQuotes) {
  EXPECT_EQ(value_of("'it''s'"), "it's");
  EXPECT_EQ(value_of("\"say \"\"hi\"\"\""), "say \"hi\"");
  // The other quote character is not doubled-escaped.
  EXPECT_EQ(value_of("'a\"\"b'"), "a\"\"b");
  EXPECT_EQ(value_of("\"a''b\""), "a''b");
  EXPECT_EQ(value_of("''''"), "'");
}

TEST(Lexer, StringValueBackslashEscapes) {
  EXPECT_EQ(value_of("'a\\'b'"), "a'b");
  EXPECT_EQ(value_of("'a\\\\'"), "a\\");
  EXPECT_EQ(value_of("'\\\"'"), "\"");
  EXPECT_EQ(value_of("\"a\\\"b\""), "a\"b");
  EXPECT_EQ(value_of("'\\n'"), "\n");
  EXPECT_EQ(value_of("'\\t'"), "\t");
  EXPECT_EQ(value_of("'\\0'"), std::string(1, '\0'));
  EXPECT_EQ(value_of("'\\Z'"), "\x1a");
  EXPECT_EQ(value_of("'a\\n\\tb'"), "a\n\tb");
  // \% and \_ keep their backslash (they matter to LIKE).
  EXPECT_EQ(value_of("'\\%'"), "\\%");
  EXPECT_EQ(value_of("'\\_'"), "\\_");
  EXPECT_EQ(value_of("'50\\%_x'"), "50\\%_x");
}

TEST(Lexer, StringValueOtherDocumentedEscapes) {
  // MySQL documents \b (backspace) and \r (carriage return); any other escaped character
  // stands for itself.
  EXPECT_EQ(value_of("'\\r'"), "\r");
  EXPECT_EQ(value_of("'\\b'"), "\b");
  EXPECT_EQ(value_of("'\\x'"), "x");
  EXPECT_EQ(value_of("'\\q\\\\'"), "q\\");
}

TEST(Lexer, StringValueIntroducers) {
  EXPECT_EQ(value_of("N'x'"), "x");
  EXPECT_EQ(value_of("n'x'"), "x");
  EXPECT_EQ(value_of("_utf8mb4'x'"), "x");
  EXPECT_EQ(value_of("_binary'x'"), "x");
  EXPECT_EQ(value_of("_latin1''"), "");
  EXPECT_EQ(value_of("_utf8mb4'it''s'"), "it's");
}

TEST(Lexer, StringValueNoBackslashEscapes) {
  EXPECT_EQ(value_of("'a\\nb'", true), "a\\nb");
  EXPECT_EQ(value_of("'a\\'", true), "a\\");
  EXPECT_EQ(value_of("'it''s'", true), "it's");
  EXPECT_EQ(value_of("'\\\\'", true), "\\\\");
  EXPECT_EQ(value_of("\"a\\\"", true), "a\\");
}

TEST(Lexer, StringValueAppends) {
  std::string out = "prefix:";
  ASSERT_TRUE(string_value("'v'", out));
  EXPECT_EQ(out, "prefix:v");
}

TEST(Lexer, StringValueOfLexedTokensRoundTrips) {
  const std::string_view sql = "SELECT 'a\\'b', \"c\"\"d\", N'e', _utf8mb4'f''g'";
  std::vector<std::string> values;
  for (const token& t : lex_tokens(sql)) {
    if (t.kind != token_kind::string) continue;
    std::string v;
    ASSERT_TRUE(string_value(t.text(sql), v));
    values.push_back(v);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"a'b", "c\"d", "e", "f'g"}));
}

TEST(Lexer, StringValueRejectsNonStrings) {
  std::string out;
  EXPECT_FALSE(string_value("abc", out));
  EXPECT_FALSE(string_value("`abc`", out));
  EXPECT_FALSE(string_value("42", out));
  EXPECT_FALSE(string_value("", out));
  EXPECT_EQ(out, "");
}

// --- identifier_value.

TEST(Lexer, IdentifierValue) {
  EXPECT_EQ(identifier_value("orders"), "orders");
  EXPECT_EQ(identifier_value("Order_No"), "Order_No");
  EXPECT_EQ(identifier_value("`orders`"), "orders");
  EXPECT_EQ(identifier_value("`a``b`"), "a`b");
  EXPECT_EQ(identifier_value("````"), "`");
  EXPECT_EQ(identifier_value("`my table`"), "my table");
  EXPECT_EQ(identifier_value("`select`"), "select");
  EXPECT_EQ(identifier_value("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(identifier_value("1abc"), "1abc");
}

TEST(Lexer, IdentifierValueOfLexedTokens) {
  const std::string_view sql = "SELECT `a``b`.c FROM `db`.`t t`";
  std::vector<std::string> names;
  for (const token& t : lex_tokens(sql)) {
    if (t.kind == token_kind::identifier || t.kind == token_kind::quoted_identifier) {
      names.push_back(identifier_value(t.text(sql)));
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"SELECT", "a`b", "c", "FROM", "db", "t t"}));
}

}  // namespace
}  // namespace shardgate::sql
