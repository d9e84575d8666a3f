// sql::fingerprint: the normalised text of statements (literals, lists, rows, keywords,
// spacing, comments, unreadable input, the size cap) and its hash.
#include "sql/fingerprint.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "routing/hashing.hpp"

namespace shardgate::sql {
namespace {

struct fingerprint_case {
  const char* name;
  std::string_view sql;
  std::string_view expected;
  bool no_backslash_escapes = false;
};

void PrintTo(const fingerprint_case& c, std::ostream* os) {
  *os << c.name;
}

const std::vector<fingerprint_case>& fingerprint_cases() {
  static const std::vector<fingerprint_case> cases = {
      {"spec_example",
       "select * from orders where order_no = 'ORD2026112200000001' and qty in (1,2, 3)",
       "SELECT * FROM orders WHERE order_no = ? AND qty IN (?+)"},
      // --- Nothing to print.
      {"empty", "", ""},
      {"only_white_space", " \t\r\n  ", ""},
      {"only_block_comment", "/* only a comment */", ""},
      {"only_line_comment", "-- nothing here", ""},
      {"only_hash_comment", "# nothing here", ""},
      {"only_hint", "/* shardgate: shard=shard1 */", ""},
      {"only_semicolons", ";;", ""},
      // --- Literals.
      {"literal_kinds",
       "SELECT 'a', \"b\", N'c', _utf8mb4'd', X'1F', x'2e', B'101', 0x1F, 0b101, 1.5, .5, 1e-3, "
       "42",
       "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"},
      {"introducer_apart_from_string", "SELECT _binary 'e', _LATIN1 X'41'", "SELECT ?, ?"},
      {"underscore_name_is_not_an_introducer", "SELECT _id, _id 'alias' FROM t",
       "SELECT _id, _id ? FROM t"},
      {"doubled_quotes", "SELECT 'it''s', \"say \"\"hi\"\"\"", "SELECT ?, ?"},
      {"placeholders", "SELECT * FROM t WHERE a = ? AND b IN (?, ?, ?)",
       "SELECT * FROM t WHERE a = ? AND b IN (?+)"},
      {"null_true_false_kept", "update t set a = null, b = true where c is not null or d = false",
       "UPDATE t SET a = NULL, b = TRUE WHERE c IS NOT NULL OR d = FALSE"},
      {"typed_literals", "SELECT DATE '2024-01-01' + INTERVAL 1 DAY",
       "SELECT DATE ? + INTERVAL ? DAY"},
      {"limit_offset", "SELECT * FROM t ORDER BY a DESC LIMIT 10 OFFSET 20",
       "SELECT * FROM t ORDER BY a DESC LIMIT ? OFFSET ?"},
      {"limit_comma", "select * from t limit 10,20", "SELECT * FROM t LIMIT ?, ?"},
      {"json_operators", "SELECT doc->'$.a', doc->>'$.b' FROM t",
       "SELECT doc -> ?, doc ->> ? FROM t"},
      // --- Signs.
      {"negative_after_operator", "SELECT * FROM t WHERE a = -5 AND b < -0.5 AND c = - 7",
       "SELECT * FROM t WHERE a = ? AND b < ? AND c = ?"},
      {"negative_in_list", "SELECT * FROM t WHERE a IN (-1, 2, -3)",
       "SELECT * FROM t WHERE a IN (?+)"},
      {"negative_after_keywords", "SELECT -1 FROM t WHERE a BETWEEN -5 AND -1 LIMIT 1",
       "SELECT ? FROM t WHERE a BETWEEN ? AND ? LIMIT ?"},
      {"binary_minus_stays", "SELECT a-1, a -1, a - 1, 3-2, (a)-1, `a`-1 FROM t",
       "SELECT a - ?, a - ?, a - ?, ? - ?, (a) - ?, `a` - ? FROM t"},
      {"minus_before_name", "SELECT -a, - b FROM t", "SELECT - a, - b FROM t"},
      {"double_minus", "SELECT * FROM t WHERE a = --5", "SELECT * FROM t WHERE a = - ?"},
      {"case_branches", "select case when a = 1 then -1 else -2 end from t",
       "SELECT CASE WHEN a = ? THEN ? ELSE ? END FROM t"},
      // --- Lists and rows.
      {"in_list_one", "SELECT * FROM t WHERE id IN (7)", "SELECT * FROM t WHERE id IN (?+)"},
      {"in_list_strings", "SELECT * FROM t WHERE id IN ('a','b' , 'c')",
       "SELECT * FROM t WHERE id IN (?+)"},
      {"in_list_glued_to_keyword", "select * from t where a in(1,2)",
       "SELECT * FROM t WHERE a IN(?+)"},
      {"in_list_with_expression", "SELECT * FROM t WHERE id IN (1, a, 2)",
       "SELECT * FROM t WHERE id IN (?, a, ?)"},
      {"in_list_with_arithmetic", "SELECT * FROM t WHERE id IN (1 - 2, 3)",
       "SELECT * FROM t WHERE id IN (? - ?, ?)"},
      {"in_list_empty", "SELECT * FROM t WHERE a IN ()", "SELECT * FROM t WHERE a IN ()"},
      {"in_list_double_comma", "SELECT * FROM t WHERE a IN (1,,2)",
       "SELECT * FROM t WHERE a IN (?,, ?)"},
      {"in_list_unclosed", "SELECT * FROM t WHERE a IN (1, 2,",
       "SELECT * FROM t WHERE a IN (?, ?,"},
      {"in_subquery", "SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = 1)",
       "SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = ?)"},
      {"insert_one_row", "INSERT INTO t (a,b) VALUES (1,'x')", "INSERT INTO t (a, b) VALUES (?+)"},
      {"insert_rows", "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'),(3,'z')",
       "INSERT INTO t (a, b) VALUES (?+),..."},
      {"insert_rows_on_duplicate",
       "INSERT INTO t (a,b) VALUES (1,'x'),(2,'y') ON DUPLICATE KEY UPDATE b=VALUES(b);",
       "INSERT INTO t (a, b) VALUES (?+),... ON DUPLICATE KEY UPDATE b = VALUES(b)"},
      {"insert_rows_with_expressions", "insert into t values (1, now()), (2, now())",
       "INSERT INTO t VALUES (?, now()), (?, now())"},
      {"insert_rows_then_expression_row", "INSERT INTO t VALUES (1), (2), (3, a), (4)",
       "INSERT INTO t VALUES (?+),..., (?, a), (?+)"},
      {"insert_rows_unclosed", "INSERT INTO t VALUES (1), (2), (3",
       "INSERT INTO t VALUES (?+),..., (?"},
      {"insert_rows_trailing_comma", "INSERT INTO t VALUES (1),", "INSERT INTO t VALUES (?+),"},
      {"row_constructor_in", "SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4), (5, 6))",
       "SELECT * FROM t WHERE (a, b) IN ((?+),...)"},
      {"function_arguments",
       "SELECT ROUND(price, 2), SUBSTR(name, 1, 3), f(1, 2), LEFT(name, 3) FROM t",
       "SELECT ROUND(price, ?), SUBSTR(name, ?, ?), f(?+), LEFT(name, ?) FROM t"},
      {"two_lists_apart", "SELECT * FROM t WHERE a IN (1, 2) AND b IN (3)",
       "SELECT * FROM t WHERE a IN (?+) AND b IN (?+)"},
      // --- Words and spacing.
      {"keywords_upper_names_kept",
       "select Id, NAME from Orders o join items i on o.id = i.order_id",
       "SELECT Id, NAME FROM Orders o JOIN items i ON o.id = i.order_id"},
      {"keyword_after_dot_is_a_name", "select o.date, o.key, t.select from o",
       "SELECT o.date, o.key, t.select FROM o"},
      {"quoted_names_kept", "SELECT `select`, `a``b` FROM `db`.`t`",
       "SELECT `select`, `a``b` FROM `db`.`t`"},
      {"utf8_names", "SELECT * FROM \xe6\xb3\xa8\xe6\x96\x87 WHERE caf\xc3\xa9 = 'x'",
       "SELECT * FROM \xe6\xb3\xa8\xe6\x96\x87 WHERE caf\xc3\xa9 = ?"},
      {"extra_keywords", "set session transaction isolation level read committed",
       // LEVEL is left out of the upper-cased words: it is a common column name.
       "SET SESSION TRANSACTION ISOLATION level READ COMMITTED"},
      {"extra_keywords_set_names", "set names utf8mb4", "SET NAMES utf8mb4"},
      {"set_autocommit", "SET autocommit=0", "SET AUTOCOMMIT = ?"},
      {"white_space_collapsed", "SELECT\n\t a ,b\r\n FROM   t\n", "SELECT a, b FROM t"},
      {"function_call_spacing", "select count( * ), now( ), t.* from t",
       "SELECT COUNT(*), now(), t.* FROM t"},
      {"space_before_paren_kept_apart", "SELECT COUNT (*) FROM t", "SELECT COUNT (*) FROM t"},
      {"variables", "SET @a := 5, @@session.sql_mode = 'x', @`b` = @'c'",
       "SET @a := ?, @@session.sql_mode = ?, @`b` = @'c'"},
      {"ddl_types", "CREATE TABLE t (id bigint unsigned, name varchar(64), d decimal(10,2))",
       "CREATE TABLE t (id BIGINT UNSIGNED, name VARCHAR(?+), d DECIMAL(?+))"},
      // --- Comments, hints, semicolons.
      {"comments_removed", "SELECT /* a */ a -- b\n FROM # c\n t", "SELECT a FROM t"},
      {"hint_dropped", "/* shardgate: shard=shard1 */ SELECT * FROM t WHERE id = 5",
       "SELECT * FROM t WHERE id = ?"},
      {"hint_inside_dropped", "SELECT * /*shardgate: scatter*/ FROM t", "SELECT * FROM t"},
      {"executable_comment", "SELECT /*!40001 SQL_NO_CACHE */ * FROM t",
       "SELECT SQL_NO_CACHE * FROM t"},
      {"executable_comment_versioned",
       "CREATE TABLE t (id INT) /*!50100 PARTITION BY HASH (id) PARTITIONS 4 */",
       "CREATE TABLE t (id INT) PARTITION BY HASH (id) PARTITIONS ?"},
      {"executable_comment_mariadb", "SELECT /*M!100000 1, */ 2", "SELECT ?, ?"},
      {"executable_comment_unclosed", "SELECT /*!40001 SQL_NO_CACHE * FROM t",
       "SELECT SQL_NO_CACHE * FROM t"},
      {"trailing_semicolon", "SELECT 1;", "SELECT ?"},
      {"trailing_semicolons_and_space", "SELECT 1 ; ;  \n", "SELECT ?"},
      {"semicolon_between_statements", "SELECT 1; SELECT 2;", "SELECT ?; SELECT ?"},
      {"semicolon_after_list", "SELECT * FROM t WHERE a IN (1,2);",
       "SELECT * FROM t WHERE a IN (?+)"},
      // --- Unreadable input: the rest as it is.
      {"unterminated_string", "SELECT * FROM t WHERE a = 'abc", "SELECT * FROM t WHERE a = 'abc"},
      {"unterminated_string_keeps_raw_tail", "select x from t where a = \"abc\n  def",
       "SELECT x FROM t WHERE a = \"abc\n  def"},
      {"unterminated_comment", "SELECT 1 /* open", "SELECT ? /* open"},
      {"unterminated_quoted_name", "SELECT `abc FROM t", "SELECT `abc FROM t"},
      {"stray_byte", "SELECT 1 \\ 2", "SELECT ? \\ 2"},
      {"error_inside_held_list", "SELECT * FROM t WHERE a IN (1, 'x",
       "SELECT * FROM t WHERE a IN (?, 'x"},
      {"error_after_semicolon", "SELECT 1; 'x", "SELECT ?; 'x"},
      // --- Backslashes, with and without NO_BACKSLASH_ESCAPES.
      {"backslash_escape", "SELECT * FROM t WHERE a = 'it\\'s' AND b = 1",
       "SELECT * FROM t WHERE a = ? AND b = ?"},
      {"backslash_escape_nbe", "SELECT * FROM t WHERE a = 'it\\'s' AND b = 1",
       // The unreadable rest is one more token: a space before it, as before any other.
       "SELECT * FROM t WHERE a = ? s ' AND b = 1", true},
      {"backslash_at_string_end", "SELECT 'C:\\dir\\' FROM t", "SELECT 'C:\\dir\\' FROM t"},
      {"backslash_at_string_end_nbe", "SELECT 'C:\\dir\\' FROM t", "SELECT ? FROM t", true},
      {"escaped_backslash", "SELECT 'a\\\\', 'b' FROM t", "SELECT ?, ? FROM t"},
  };
  return cases;
}

class FingerprintCases : public ::testing::TestWithParam<fingerprint_case> {};

TEST_P(FingerprintCases, Normalises) {
  const fingerprint_case& c = GetParam();
  std::string out = "stale text";
  const std::uint64_t hash = fingerprint(c.sql, out, c.no_backslash_escapes);
  EXPECT_EQ(out, c.expected) << "sql: " << c.sql;
  EXPECT_EQ(hash, routing::xxhash64(out));
}

INSTANTIATE_TEST_SUITE_P(Fingerprint, FingerprintCases, ::testing::ValuesIn(fingerprint_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

std::string fp(std::string_view sql, bool no_backslash_escapes = false) {
  std::string out;
  fingerprint(sql, out, no_backslash_escapes);
  return out;
}

std::uint64_t fp_hash(std::string_view sql) {
  std::string out;
  return fingerprint(sql, out);
}

TEST(Fingerprint, HashOfEmptyIsXxh64OfNothing) {
  EXPECT_EQ(fp_hash(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(fp_hash("/* nothing */"), 0xEF46DB3751D8E999ull);
}

TEST(Fingerprint, SameShapeSameHash) {
  EXPECT_EQ(fp_hash("SELECT * FROM orders WHERE order_no = 'ORD1'"),
            fp_hash("select  *  from orders where order_no='ORD2026112200000123' ;"));
  EXPECT_EQ(fp_hash("SELECT * FROM t WHERE id IN (1)"),
            fp_hash("SELECT * FROM t WHERE id IN (1, 2, 3, 4, 5, 6, 7)"));
  EXPECT_EQ(fp_hash("INSERT INTO t VALUES (1, 'a'), (2, 'b')"),
            fp_hash("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')"));
  EXPECT_EQ(fp_hash("SELECT a FROM t WHERE b = -1"), fp_hash("SELECT a FROM t WHERE b = 12.5"));
}

TEST(Fingerprint, DifferentShapeDifferentHash) {
  EXPECT_NE(fp_hash("SELECT * FROM orders WHERE order_no = ?"),
            fp_hash("SELECT * FROM orders WHERE member_id = ?"));
  EXPECT_NE(fp_hash("SELECT a FROM t WHERE b = 1"), fp_hash("SELECT a FROM t WHERE b = c"));
  // One row and several rows are two shapes.
  EXPECT_NE(fp_hash("INSERT INTO t VALUES (1)"), fp_hash("INSERT INTO t VALUES (1), (2)"));
}

TEST(Fingerprint, ReusesTheCallersBuffer) {
  std::string out;
  out.reserve(2048);
  const char* const buffer = out.data();
  fingerprint("SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", out);
  EXPECT_EQ(out.data(), buffer);
  fingerprint(std::string(5000, 'x'), out);
  EXPECT_EQ(out.data(), buffer);
  fingerprint("SELECT 1", out);
  EXPECT_EQ(out, "SELECT ?");
  EXPECT_EQ(out.data(), buffer);
}

TEST(Fingerprint, VeryLongInList) {
  std::string sql = "SELECT * FROM t WHERE id IN (";
  for (int i = 0; i < 20000; ++i) sql += (i ? ", " : "") + std::to_string(100000 + i);
  sql += ") AND status = 'open'";
  EXPECT_EQ(fp(sql), "SELECT * FROM t WHERE id IN (?+) AND status = ?");
}

TEST(Fingerprint, VeryLongInsert) {
  std::string sql = "INSERT INTO orders (order_no, member_id, amount, note) VALUES ";
  for (int i = 0; i < 5000; ++i) {
    if (i) sql += ", ";
    sql += "('ORD202611220000" + std::to_string(1000 + i) + "', " + std::to_string(7000 + i) +
           ", -12.50, 'note \\'" + std::to_string(i) + "\\'')";
  }
  EXPECT_EQ(fp(sql), "INSERT INTO orders (order_no, member_id, amount, note) VALUES (?+),...");
}

// "SELECT col0001, col0002, ..., colNNNN FROM t", as normalised text.
std::string select_columns(int columns) {
  std::string s = "SELECT ";
  char name[16];
  for (int i = 1; i <= columns; ++i) {
    std::snprintf(name, sizeof name, "%scol%04d", i > 1 ? ", " : "", i);
    s += name;
  }
  return s + " FROM t";
}

TEST(Fingerprint, CutAtATokenBoundary) {
  // "SELECT col0001" is 14 bytes, each ", colNNNN" 9 more: col0112 ends at 1013 and its comma
  // at 1014, the last boundary that leaves room for "...".
  const std::string out = fp(select_columns(300));
  std::string expected = select_columns(112);
  expected.resize(expected.size() - std::string_view(" FROM t").size());
  expected += ",...";
  EXPECT_EQ(out, expected);
  EXPECT_EQ(out.size(), 1017u);
}

TEST(Fingerprint, ExactlyAtTheCapIsNotCut) {
  const std::string name(max_fingerprint_size - 7, 'n');  // "SELECT " + name = 1024 bytes
  EXPECT_EQ(fp("select " + name), "SELECT " + name);
  EXPECT_EQ(fp("select " + name + "n"), "SELECT...");
  EXPECT_EQ(fp("select " + name + " FROM t"), "SELECT...");
}

TEST(Fingerprint, OneHugeTokenGivesOnlyTheEllipsis) {
  EXPECT_EQ(fp(std::string(3000, 'a')), "...");
}

TEST(Fingerprint, RawTailIsCutToTheCap) {
  const std::string tail = "'" + std::string(2000, 'a');  // an unterminated string
  const std::string out = fp("SELECT " + tail);
  EXPECT_EQ(out.size(), max_fingerprint_size);
  EXPECT_EQ(out, "SELECT " + tail.substr(0, max_fingerprint_size - 10) + "...");
}

TEST(Fingerprint, RawTailIsCutOnAUtf8Boundary) {
  std::string tail = "'";
  for (int i = 0; i < 1000; ++i) tail += "\xc3\xa9";  // é
  const std::string out = fp("SELECT " + tail);
  // 1024 - 3 - 7 = 1014 bytes of the tail would end inside an é: 1013 are kept.
  EXPECT_EQ(out.size(), 1023u);
  EXPECT_EQ(out, "SELECT " + tail.substr(0, 1013) + "...");
}

TEST(Fingerprint, RawTailAfterAFullOutput) {
  // The tokens fill the output past cap - 3, then an unterminated string arrives.
  const std::string name(max_fingerprint_size - 9, 'n');  // "SELECT " + name = 1022 bytes
  EXPECT_EQ(fp("SELECT " + name + " 'abc"), "SELECT...");
}

// Never crashes, never reads out of bounds (see the sanitizer build), never passes the cap:
// every prefix of tricky statements and some noise.
TEST(Fingerprint, PrefixesAndNoiseStayBounded) {
  const std::vector<std::string> statements = {
      "INSERT INTO t (a, b) VALUES (1, 'x\\'y'), (-2, _utf8mb4'z'), (3, X'1F') ;",
      "SELECT /*!40001 SQL_NO_CACHE */ a, b FROM t /* shardgate: shard=s1 */ WHERE c IN "
      "(1, -2, ?) AND d = `e``f`.g -- end",
      "SELECT @a := @@session.x, b->>'$.c', N'd', B'101', 0x1f, .5e3 FROM t; SELECT 1",
  };
  std::string out;
  for (const std::string& sql : statements) {
    for (std::size_t n = 0; n <= sql.size(); ++n) {
      for (const bool nbe : {false, true}) {
        const std::uint64_t hash = fingerprint(std::string_view(sql).substr(0, n), out, nbe);
        EXPECT_LE(out.size(), max_fingerprint_size);
        EXPECT_EQ(hash, routing::xxhash64(out));
      }
    }
  }
  constexpr std::string_view alphabet = "'\"`()-,.;?/*!#@0123456789 axXbBN_\\\n\x80\xff";
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  std::string noise;
  for (int round = 0; round < 2000; ++round) {
    noise.clear();
    const std::size_t size = round % 300;
    for (std::size_t i = 0; i < size; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      noise += alphabet[(state >> 33) % alphabet.size()];
    }
    fingerprint(noise, out);
    EXPECT_LE(out.size(), max_fingerprint_size);
  }
}

}  // namespace
}  // namespace shardgate::sql
