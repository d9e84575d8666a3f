// More router decisions, table-driven, aimed at the statements that try to fool a routing
// parser: keys hidden in comments and strings, escapes, odd identifiers and literals,
// operators that look like key equalities and are not, joins, writes of every shape, DDL,
// SHOW / EXPLAIN, multi-statement texts, hints and unreadable input.
//
// The rule every case checks: a statement never runs on a wrong shard. What the parser
// cannot read exactly widens a read to every shard of the table, or refuses a write.
//
// Same configuration as router_test.cpp. Order numbers: seq 00000001 -> s1, 00000002 -> s0
// (two shards before 2026-12-01); from 2026-12-01 seq % 4 over s0..s3.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/loader.hpp"
#include "router_harness.hpp"
#include "routing/router.hpp"

namespace shardgate::routing {
namespace {

using namespace test_harness;

const char* const all4 = "s0,s1,s2,s3";

// The case tables keep one statement per line (clang-format would split the SQL strings).
// clang-format off

TEST(router_cases, keys_inside_comments) {
  check({
      // Line and block comments are not SQL.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' -- AND order_no = 'ORD2026112200000002'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' # OR 1=1", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /* OR 1=1 */", "s1"},
      {"SELECT * FROM orders WHERE order_no = /* 'ORD2026112200000002' */ 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE /* order_no = 'ORD2026112200000002' AND */ order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' -- x\n AND total > 1", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' -- c\n OR 1=1", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' #\n OR total > 1", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' --\tOR 1=1", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' --\n", "s1"},
      // "--" without white space after it is two minus signs: 'x' - (-1).
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'--1", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' --OR 1=1", all4},
      // /*! ... */ is executed by every server: its content is SQL.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*! OR 1=1 */", all4},
      {"SELECT * FROM orders WHERE /*! order_no = 'ORD2026112200000001' */", "s1"},
      {"SELECT * FROM orders WHERE total > 1 /*! AND order_no = 'ORD2026112200000001' */", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*!50700 OR 1=1 */", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*M! OR 1=1 */", all4},
      // A versioned (/*!NNNNN) or MariaDB-only (/*M!) comment may not run at all: a key
      // inside one cannot narrow the shards.
      {"SELECT * FROM orders WHERE total > 1 /*!99999 AND order_no = 'ORD2026112200000001' */", all4},
      {"SELECT * FROM orders WHERE total > 1 /*M! AND order_no = 'ORD2026112200000001' */", all4},
      {"SELECT * FROM orders WHERE total > 1 /*M!100000 AND order_no = 'ORD2026112200000001' */", all4},
      {"SELECT * FROM orders /*!99999 WHERE order_no = 'ORD2026112200000001' */", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*!99999 AND total > 1 */", all4},
      {"DELETE FROM orders WHERE total > 1 /*!99999 AND order_no = 'ORD2026112200000001' */", "refuse:needs its shard key"},
      {"UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001' /*M! OR 1=1 */", "refuse:needs its shard key"},
      // A conditional comment elsewhere does not matter.
      {"SELECT /*!40001 SQL_NO_CACHE */ * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*!80000 FOR UPDATE */", "s1"},
      // Unterminated comments are unreadable: refused when a sharded table is named.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /* unterminated", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*! OR 1=1", "refuse:cannot route"},
      {"SELECT * FROM shops /* unterminated", "s0"},
  });
}

TEST(router_cases, keys_inside_strings_and_escapes) {
  check({
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note = 'order_no = ''ORD2026112200000002'''", "s1"},
      {"SELECT * FROM orders WHERE note = 'order_no = ''ORD2026112200000002'''", all4},
      {"SELECT * FROM orders WHERE note = 'x'' OR order_no = ''ORD2026112200000002'", all4},
      {"SELECT * FROM orders WHERE note = \"order_no = 'ORD2026112200000002'\"", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note = 'it\\'s -- fine'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note = 'a /* b'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note = 'a; DELETE FROM orders'", "s1"},
      // Escapes and doubled quotes change the value: no longer a valid order number.
      {"SELECT * FROM orders WHERE order_no = 'ORD\\'2026112200000001'", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001\\''", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'''", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD20261122000000\\01'", all4},
      // \\O is just O: the value is a valid order number.
      {"SELECT * FROM orders WHERE order_no = '\\ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = \"ORD2026112200000001\"", "s1"},
      {"SELECT * FROM orders WHERE order_no = \"ORD2026112200000002\"\"\"", all4},
      // Adjacent strings concatenate.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' 'x'", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' \"\"", all4},
      // An unterminated string is unreadable.
      {"SELECT * FROM orders WHERE order_no = \"unterminated", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001\\'", "refuse:cannot route"},
      {"SELECT * FROM shops WHERE name = 'unterminated", "s0"},
  });
}

TEST(router_cases, no_backslash_escapes) {
  // Under NO_BACKSLASH_ESCAPES a backslash is an ordinary character, in INSERT rows and
  // WHERE keys alike: a row written with key 'a\c' is read back from the same shard.
  check(
      {
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001\\'", all4},
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001\\' OR 1=1 -- '", all4},
          {"SELECT * FROM tokens WHERE token = 'a\\c'", "s3"},
          {"INSERT INTO tokens (token) VALUES ('a\\c')", "s3"},
          {"SELECT * FROM tokens WHERE token = 'a\\\\c'", "s3"},
          {"INSERT INTO tokens (token) VALUES ('a\\\\c')", "s3"},
          {"SELECT * FROM tokens WHERE token IN ('a\\c', 'zz')", "s0,s3"},
          {"SELECT * FROM coupons WHERE code = 'C\\1'", "s1,s2,s3"},
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
          {"INSERT INTO coupons (code) VALUES ('C\\1')", "refuse:not in directory"},
          {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000001\\')", "refuse:Incorrect shard key value"},
      },
      "shop", {false, true});
}

TEST(router_cases, ansi_quotes) {
  // With ANSI_QUOTES "x" is an identifier, never a key value.
  check(
      {
          {"SELECT * FROM orders WHERE order_no = \"ORD2026112200000001\"", all4},
          {"SELECT * FROM orders WHERE \"order_no\" = 'ORD2026112200000001'", all4},
          {"SELECT * FROM orders WHERE order_no IN (\"ORD2026112200000001\")", all4},
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
          {"SELECT * FROM \"orders\" WHERE order_no = 'ORD2026112200000001'", "refuse:cannot route"},
          {"SELECT * FROM orders AS \"o\" WHERE o.order_no = 'ORD2026112200000001'", all4},
          {"INSERT INTO orders (order_no) VALUES (\"ORD2026112200000001\")", "refuse:literal"},
          {"UPDATE orders SET order_no = \"ORD2026112200000003\" WHERE order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      },
      "shop", {true, false});
}

TEST(router_cases, identifiers_qualifiers_and_aliases) {
  check({
      {"SELECT * FROM orders WHERE `order``no` = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE `ORDER_NO` = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM `shop`.`orders` WHERE `shop`.`orders`.`order_no` = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM shop.orders WHERE shop.orders.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE shop . orders . order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM SHOP.ORDERS WHERE ORDERS.ORDER_NO = 'ORD2026112200000002'", "s0"},
      {"SELECT * FROM shop.orders WHERE other.orders.order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE other.orders.order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE a.b.orders.order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders o WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders AS `O` WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders o WHERE O.ORDER_NO = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders o WHERE o.`order_no` = 'ORD2026112200000001'", "s1"},
      // Wrong qualifiers: an unknown column to MySQL, never a key to us.
      {"SELECT * FROM orders o WHERE p.order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders o WHERE shop.o.order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders AS 'o' WHERE o.order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders o WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders `where` WHERE `where`.order_no = 'ORD2026112200000002'", "s0"},
      // A CTE of the same name hides the table.
      {"WITH orders AS (SELECT 1 AS a) SELECT * FROM orders", "s0"},
      {"WITH x AS (SELECT 1) SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
  });
}

TEST(router_cases, conditions_that_are_not_key_equalities) {
  check({
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' OR FALSE", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' XOR 0", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' XOR order_no = 'ORD2026112200000003'", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' || order_no = 'ORD2026112200000003'", all4},
      {"SELECT * FROM orders WHERE NOT (order_no = 'ORD2026112200000001')", all4},
      {"SELECT * FROM orders WHERE NOT NOT order_no = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE !(order_no = 'ORD2026112200000001')", all4},
      {"SELECT * FROM orders WHERE !order_no = 'x'", all4},
      {"SELECT * FROM orders WHERE order_no = ~'x'", all4},
      {"SELECT * FROM orders WHERE order_no IS NOT NULL", all4},
      {"SELECT * FROM orders WHERE NULL <=> order_no", all4},
      {"SELECT * FROM orders WHERE order_no = TRUE", all4},
      {"SELECT * FROM orders WHERE order_no = DEFAULT", all4},
      {"SELECT * FROM orders WHERE order_no = @v", all4},
      {"SELECT * FROM orders WHERE order_no = @@v", all4},
      {"SELECT * FROM orders WHERE order_no IN (?, ?)", all4},
      {"SELECT * FROM orders WHERE LOWER(order_no) = 'ord2026112200000001'", all4},
      {"SELECT * FROM orders WHERE UPPER(order_no) = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE TRIM(order_no) = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE order_no = (SELECT 'ORD2026112200000001')", all4},
      {"SELECT * FROM orders WHERE CASE order_no WHEN 'ORD2026112200000001' THEN 1 ELSE 0 END = 1", all4},
      {"SELECT * FROM orders WHERE order_no = CASE WHEN 1 THEN 'ORD2026112200000001' END", all4},
      {"SELECT * FROM orders WHERE (order_no, total) = ('ORD2026112200000001', 1)", all4},
      {"SELECT * FROM orders WHERE (order_no, total) IN (('ORD2026112200000001', 1))", all4},
      {"SELECT * FROM orders WHERE order_no MEMBER OF ('[\"ORD2026112200000001\"]')", all4},
      {"SELECT * FROM orders WHERE order_no->'$.a' = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE order_no->>'$.a' = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE order_no = doc->>'$.x'", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' -> '$.x'", all4},
      {"SELECT * FROM orders WHERE order_no COLLATE utf8mb4_bin = 'ORD2026112200000001'", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' COLLATE utf8mb4_0900_ai_ci AND 1", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' ESCAPE 'x'", all4},
      // The comparison's boolean result compared again: (k = 'x') IS ..., IN (...), BETWEEN.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' IS NOT UNKNOWN", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' NOT IN (0)", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' IN (0) AND total > 1", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' BETWEEN 0 AND 1", all4},
      {"SELECT * FROM orders WHERE total > 1 AND (order_no = 'ORD2026112200000001' LIKE 0)", all4},
      // ... but a real key condition ANDed after it still counts.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' BETWEEN 0 AND 1 AND order_no = 'ORD2026112200000003'", "s1"},
      {"SELECT * FROM orders WHERE order_no := 'ORD2026112200000001'", "refuse:variable assignment"},
      // Functions MySQL would evaluate per row are not keys; a full-text match is not read.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND MATCH (note) AGAINST ('x' IN BOOLEAN MODE)", all4},
  });
}

TEST(router_cases, key_conditions_that_narrow) {
  check({
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND order_no IS NOT NULL", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND NOT total > 1", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' && total > 1", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND CASE WHEN total > 1 THEN 1 ELSE 0 END", "s1"},
      {"SELECT * FROM orders WHERE created > NOW() - INTERVAL 1 DAY AND order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND created > NOW() - INTERVAL '1' DAY", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND created > DATE_SUB(NOW(), INTERVAL 1 DAY)", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND INTERVAL(total, 1, 2) > 0", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND doc->>'$.x' = 'y'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note LIKE 'a|%' ESCAPE '|'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note NOT LIKE '%x%'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND note REGEXP 'order_no'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND total SOUNDS LIKE 'x'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND tags MEMBER OF ('[1]')", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND ROW(a, b) = ROW(1, 2)", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND EXISTS (SELECT 1)", "s1"},
      {"SELECT * FROM orders WHERE NOT EXISTS (SELECT 1) AND order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND total > (SELECT 1)", "s1"},
      {"SELECT * FROM orders WHERE 1 AND order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE TRUE AND order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE ((((order_no = 'ORD2026112200000001'))))", "s1"},
      {"SELECT * FROM orders WHERE ((order_no) = ('ORD2026112200000001'))", "s1"},
      {"SELECT * FROM orders WHERE ((order_no = 'ORD2026112200000001') AND (total > 1 OR total < 0))", "s1"},
      {"SELECT * FROM orders WHERE ((order_no = 'ORD2026112200000001' OR order_no = 'ORD2026112200000003'))", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND (total > 1 OR order_no = 'ORD2026112200000002')", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND NOT (total > 1 AND order_no = 'ORD2026112200000002')", "s1"},
      {"SELECT * FROM orders WHERE (order_no = 'ORD2026112200000001' OR order_no = 'ORD2026112200000002') AND (order_no = 'ORD2026112200000002' OR order_no = 'ORD2026112200000004')", "s0,s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' OR order_no = NULL", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' OR order_no IN ('ORD2026112200000003', NULL)", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND total = ?", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND @a := 1", "s1"},
      // NULL keys: = NULL matches nothing, so one shard answers (empty); IS NULL can't tell.
      {"SELECT * FROM orders WHERE NULL = order_no", "s0"},
      {"SELECT * FROM orders WHERE order_no IN (NULL)", "s0"},
      {"SELECT * FROM orders WHERE order_no IN (NULL, 'ORD2026112200000001')", "s1"},
      // `IN ()` is a syntax error; any one shard reports it.
      {"SELECT * FROM orders WHERE order_no IN ()", "s0"},
      {"SELECT * FROM orders WHERE order_no IN (('ORD2026112200000001'))", all4},
  });
}

TEST(router_cases, literals_against_integer_keys) {
  check({
      {"SELECT * FROM members WHERE member_id = '42'", "s0"},
      {"SELECT * FROM members WHERE member_id = '0042'", "s0"},
      {"SELECT * FROM members WHERE member_id = '-42'", "s0"},
      {"SELECT * FROM members WHERE member_id = 01500", "s1"},
      {"SELECT * FROM members WHERE member_id = +1500", "s1"},
      {"SELECT * FROM members WHERE member_id = - 5", "s0"},
      {"SELECT * FROM members WHERE member_id = 9223372036854775807", "s2"},
      {"SELECT * FROM members WHERE member_id = -9223372036854775808", "s0"},
      // MySQL converts these strings numerically (' 42' = 42, '42abc' = 42 with a warning,
      // '4.2e1' = 42): not read, so every shard.
      {"SELECT * FROM members WHERE member_id = ' 42'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = '42 '", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = '42abc'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = '4.2e1'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = '+42'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = '1500.0'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = ''", "s0,s1,s2"},
      // <digits>e0 below 2^53 (how prepared statements' integral DOUBLE values are
      // written) is read exactly; larger ones equal several integers as DOUBLEs.
      {"SELECT * FROM members WHERE member_id = 1500e0", "s1"},
      {"SELECT * FROM members WHERE member_id = -1500e0", "s0"},
      {"SELECT * FROM members WHERE member_id = 9007199254740993e0", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 1.5e3", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 0x5DC", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = X'05DC'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 0b101", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = b'101'", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = -(5)", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = - -5", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = --5", "s0,s1,s2"},
      // Beyond int64: no BIGINT equals them; not read either.
      {"SELECT * FROM members WHERE member_id = 9223372036854775808", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = -9223372036854775809", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 18446744073709551615", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = 99999999999999999999", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id = '99999999999999999999'", "s0,s1,s2"},
      // Modulo of negative keys uses their absolute value.
      {"SELECT * FROM accounts WHERE id = -3", "s3"},
      {"SELECT * FROM accounts WHERE id = -9223372036854775808", "s0"},
      {"SELECT * FROM accounts WHERE id = 9223372036854775807", "s3"},
      {"SELECT * FROM accounts WHERE id = 18446744073709551613", all4},
      // The span would overflow int64: every shard, no arithmetic trouble.
      {"SELECT * FROM accounts WHERE id BETWEEN -9223372036854775808 AND 9223372036854775807", all4},
      {"SELECT * FROM accounts WHERE id BETWEEN 9223372036854775800 AND 9223372036854775807", all4},
  });
}

TEST(router_cases, literals_against_string_and_date_keys) {
  check({
      // Numbers against string keys compare numerically: not read. A hex string is a
      // binary string: its bytes are the key (ORD2026112200000001 -> s1; not an order
      // number -> every shard).
      {"SELECT * FROM orders WHERE order_no = 1", all4},
      {"SELECT * FROM orders WHERE order_no = 20261122", all4},
      {"SELECT * FROM orders WHERE order_no = X'4f524432303236313132323030303030303031'", "s1"},
      {"SELECT * FROM orders WHERE order_no = X'4f5244323032363131323230303030303030303031'", all4},
      {"SELECT * FROM orders WHERE order_no = 0x4f5244323032363131323230303030303030303031", all4},
      {"SELECT * FROM orders WHERE order_no = b'1'", all4},
      {"SELECT * FROM coupons WHERE code = 1", "s1,s2,s3"},
      // Introducers that keep UTF-8 bytes; N'' is the national charset (UTF-8).
      {"SELECT * FROM orders WHERE order_no = N'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = n'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = _latin1'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = _binary'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = _utf8mb4'ORD2026112200000001' COLLATE utf8mb4_general_ci", all4},
      {"SELECT * FROM orders WHERE order_no = _UTF8MB4'ORD2026112200000001'", all4},
      // _ci collation: case and trailing spaces would match the row, but the pattern does not.
      {"SELECT * FROM orders WHERE order_no = 'ord2026112200000001'", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001 '", all4},
      {"SELECT * FROM orders WHERE order_no = ' ORD2026112200000001'", all4},
      {"SELECT * FROM coupons WHERE code = 'c1 '", "s1"},
      {"SELECT * FROM coupons WHERE code = N'C1'", "s1"},
      {"SELECT * FROM coupons WHERE code = _binary'c1'", "s1"},
      {"SELECT * FROM coupons WHERE code = 'C1' COLLATE utf8mb4_bin", "s1,s2,s3"},
      {"SELECT * FROM coupons WHERE code = BINARY 'c1'", "s1,s2,s3"},
      {"SELECT * FROM coupons WHERE code = 'C1\\0'", "s1,s2,s3"},
      // Beyond ASCII a _ci collation folds more than ASCII case (a = à = À, ß = ss) and a
      // byte-wise fold cannot follow: every shard; a latin1 introducer re-reads the bytes.
      {"SELECT * FROM tokens WHERE token = 'abc'", "s2"},
      {"SELECT * FROM tokens WHERE token = 'ABC '", "s2"},
      {"SELECT * FROM tokens WHERE token = '\xC3\xA0" "bc'", all4},
      {"SELECT * FROM tokens WHERE token = '\xC3\x80" "BC'", all4},
      {"SELECT * FROM tokens WHERE token = 'stra\xC3\x9F" "e'", all4},
      {"SELECT * FROM tokens WHERE token = 'ab\x01'", all4},
      {"SELECT * FROM tokens WHERE token = _latin1'\xE0" "bc'", all4},
      {"SELECT * FROM coupons WHERE code = '\xC3\xA7" "1'", "s1,s2,s3"},
      // Dates: DATE / TIMESTAMP literals and numbers are not read; strings are.
      {"SELECT * FROM events WHERE day = '20250601'", "s3"},
      {"SELECT * FROM events WHERE day = '2025-12-31'", "s3"},
      {"SELECT * FROM events WHERE day = '2026-01-01'", "s2"},
      {"SELECT * FROM events WHERE day = DATE '2025-06-01'", "s2,s3"},
      {"SELECT * FROM events WHERE day = TIMESTAMP '2025-06-01 00:00:00'", "s2,s3"},
      {"SELECT * FROM events WHERE day = 20250601", "s2,s3"},
      {"SELECT * FROM events WHERE day = '2025-6-1'", "s2,s3"},
      {"SELECT * FROM events WHERE day = '2025/06/01'", "s2,s3"},
      {"SELECT * FROM events WHERE day = '2025-02-30'", "s2,s3"},
      {"SELECT * FROM events WHERE day = '2025-06-01 10:00:00'", "s2,s3"},
  });
}

TEST(router_cases, between_and_in_lists) {
  check({
      // Reversed bounds match nothing: any one shard (or all) is right.
      {"SELECT * FROM members WHERE member_id BETWEEN 1500 AND 10", "s0"},
      {"SELECT * FROM accounts WHERE id BETWEEN 5 AND 4", "s0"},
      {"SELECT * FROM events WHERE day BETWEEN '2026-01-05' AND '2025-01-01'", "s2"},
      {"SELECT * FROM orders WHERE order_no BETWEEN 'ORD2026112200000003' AND 'ORD2026112200000001'", all4},
      {"SELECT * FROM members WHERE member_id BETWEEN NULL AND 20", "s0"},
      {"SELECT * FROM members WHERE member_id BETWEEN (10) AND 20", "s0"},
      {"SELECT * FROM members WHERE member_id BETWEEN -5 AND 5", "s0"},
      {"SELECT * FROM members WHERE member_id BETWEEN '10' AND '1500'", "s0,s1"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 AND 20 OR member_id = 1500", "s0,s1"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 AND 20 AND member_id BETWEEN 1500 AND 1600", "s0"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 AND 20 + 1", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 - 1 AND 20", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id BETWEEN 10 AND 20 = 1", "s0,s1,s2"},
      {"SELECT * FROM members WHERE member_id >= 10 AND member_id <= 20", "s0,s1,s2"},
      {"SELECT * FROM accounts WHERE id BETWEEN -2 AND 2", "s0,s1,s2"},
      {"SELECT * FROM accounts WHERE id BETWEEN 1 AND 3", "s1,s2,s3"},
      {"SELECT * FROM accounts WHERE id BETWEEN '1' AND '2'", "s1,s2"},
      {"SELECT * FROM events WHERE day BETWEEN '2025-01-01' AND '2025-12-31'", "s3"},
      {"SELECT * FROM tokens WHERE token BETWEEN 'a' AND 'b'", all4},
      {"SELECT * FROM orders WHERE order_no BETWEEN 'ORD2026112200000001' AND 'ORD2026112200000001'", all4},
      // IN lists: split per shard when the list is ANDed at the top of the WHERE.
      {"SELECT * FROM members WHERE member_id IN (1, 1500, 2500)", "s0,s1,s2",
       "SELECT * FROM members WHERE member_id IN (1)"},
      {"SELECT * FROM members WHERE member_id IN (1, 1500, 2500) AND name = 'x'", "s0,s1,s2",
       "SELECT * FROM members WHERE member_id IN (1) AND name = 'x'"},
      {"select * from members where member_id in(1,1500)", "s0,s1", "select * from members where member_id in(1)"},
      {"SELECT * FROM accounts WHERE id IN (-1, 1, 2, -2)", "s1,s2", "SELECT * FROM accounts WHERE id IN (-1, 1)"},
      {"SELECT * FROM accounts WHERE id IN (- 1, +2)", "s1,s2", "SELECT * FROM accounts WHERE id IN (-1)"},
      {"SELECT * FROM accounts WHERE id IN (1 /* a */, /* b */ 2)", "s1,s2", "SELECT * FROM accounts WHERE id IN (1)"},
      {"SELECT * FROM accounts WHERE id IN (1, NULL, 2)", "s1,s2", "SELECT * FROM accounts WHERE id IN (1)"},
      {"SELECT * FROM accounts WHERE note IN ('a', 'b') AND id IN (1, 2)", "s1,s2",
       "SELECT * FROM accounts WHERE note IN ('a', 'b') AND id IN (1)"},
      {"SELECT * FROM accounts WHERE id IN (1,2,3,4,5,6,7,8)", all4, "SELECT * FROM accounts WHERE id IN (4, 8)"},
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000002', 'ORD2026112200000004', 'ORD2026112200000001')",
       "s0,s1", "SELECT * FROM orders WHERE order_no IN ('ORD2026112200000002', 'ORD2026112200000004')"},
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026120100000006', 'ORD2026120100000007')",
       "s1,s2,s3", "SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001')"},
      {"SELECT * FROM coupons WHERE code IN ('C1', 'c2', 'C3 ')", "s1,s2,s3", "SELECT * FROM coupons WHERE code IN ('C1')"},
      {"SELECT * FROM events WHERE day IN ('2025-06-01', '20250602', '2026-06-01')", "s2,s3",
       "SELECT * FROM events WHERE day IN ('2026-06-01')"},
      // Not split: under OR, in parentheses, joined, or any list value unreadable.
      {"SELECT * FROM accounts WHERE id IN (1, 2) OR id IN (3)", "s1,s2,s3"},
      {"SELECT * FROM accounts WHERE (id IN (1, 2))", "s1,s2"},
      {"SELECT * FROM accounts WHERE id IN (1, 2.0)", all4},
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'bad')", all4},
      {"SELECT * FROM coupons WHERE code IN ('C1', 'nope')", "s1,s2,s3"},
      {"SELECT * FROM accounts WHERE id NOT IN (1, 2)", all4},
      {"SELECT * FROM tokens WHERE token IN ('abc', 'ABC')", "s2"},
  });
}

TEST(router_cases, limit_order_and_locking) {
  check({
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' LIMIT 5", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' ORDER BY total LIMIT 5", "s1"},
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000003') ORDER BY total LIMIT 5", "s1"},
      // Merged by ShardGate: each shard gets LIMIT o+n (and the whole IN list).
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002') LIMIT 5", "s0,s1",
       "SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002') LIMIT 5"},
      {"SELECT * FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002') ORDER BY total", "s0,s1",
       "SELECT *, total AS `__sg0`, CONCAT(CHAR(LENGTH(WEIGHT_STRING(CONCAT(LEFT(total, 0), ' '))) USING binary), WEIGHT_STRING(CONCAT(LEFT(total, 0), ' ')), WEIGHT_STRING(total)) AS `__sg1` FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002') ORDER BY total"},
      {"SELECT * FROM orders LIMIT 0", all4, "SELECT * FROM orders LIMIT 0"},
      {"SELECT * FROM orders ORDER BY NULL", all4, "SELECT * FROM orders ORDER BY NULL"},
      {"SELECT * FROM orders LIMIT 1 OFFSET 2", all4, "SELECT * FROM orders LIMIT 3"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' GROUP BY total", "s1"},
      {"SELECT DISTINCT order_no FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT COUNT(*) FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000003')", "s1"},
      {"SELECT COUNT(*) FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002')", "s0,s1"},
      {"SELECT count (*) FROM orders", all4, "SELECT count (*) FROM orders"},
      {"SELECT GROUP_CONCAT(order_no) FROM orders", "refuse:GROUP_CONCAT() (its partial results cannot be combined exactly)"},
      {"SELECT total FROM orders HAVING total > 1", "refuse:HAVING without GROUP BY or an aggregate"},
      {"SELECT SUM(total) OVER () FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT SQL_CALC_FOUND_ROWS * FROM orders", "refuse:SQL_CALC_FOUND_ROWS"},
      {"SELECT * INTO @a FROM orders", "refuse:SELECT ... INTO"},
      {"SELECT * INTO @a FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' INTO OUTFILE '/tmp/x'", "s1"},
      {"SELECT @x := order_no FROM orders", "refuse:variable assignment"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' FOR UPDATE", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' LOCK IN SHARE MODE", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' FOR SHARE", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' FOR UPDATE NOWAIT", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' FOR UPDATE SKIP LOCKED", "s1"},
      {"SELECT * FROM orders FOR UPDATE SKIP LOCKED", all4},
      {"SELECT * FROM orders LOCK IN SHARE MODE", all4},
      {"SELECT * FROM orders PROCEDURE ANALYSE()", "refuse:cannot route"},
  });
}

TEST(router_cases, table_hints_partitions_and_joins) {
  check({
      {"SELECT * FROM orders USE INDEX (idx_total) WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders o FORCE INDEX FOR JOIN (PRIMARY) WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders IGNORE KEY FOR ORDER BY (i) WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders AS o USE INDEX () IGNORE INDEX (a, b) WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders PARTITION (p0) WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders PARTITION (p0, p1) o WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT STRAIGHT_JOIN * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders o STRAIGHT_JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders NATURAL JOIN order_items WHERE order_no = 'ORD2026112200000001'", "s1"},
      // Conservative: NATURAL / USING joins are not read as key joins.
      {"SELECT * FROM orders NATURAL JOIN order_items", "refuse:not joined on their shard keys"},
      {"SELECT * FROM orders o JOIN order_items i USING (order_no)", all4},  // USING (key): a key join
      {"SELECT * FROM orders o LEFT JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders o LEFT JOIN order_items i ON o.order_no = i.order_no", all4},
      {"SELECT * FROM orders o RIGHT OUTER JOIN order_items i ON i.order_no = o.order_no", all4},
      {"SELECT * FROM orders o LEFT JOIN order_items i ON o.order_no = i.order_no WHERE i.order_no = 'ORD2026112200000002'", "s0"},
      {"SELECT * FROM orders o LEFT JOIN order_items i ON o.total = i.price WHERE o.order_no = 'ORD2026112200000001'", "refuse:not joined"},
      {"SELECT * FROM orders o LEFT JOIN order_items i ON o.total = i.price WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000003'", "s1"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no AND o.total = i.price", all4},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no OR o.total = i.price", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no JOIN orders o2 ON o2.order_no = i.order_no", all4},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no JOIN orders o2 ON o2.total = i.price", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.note", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = o.order_no", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON LOWER(o.order_no) = i.order_no", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no COLLATE utf8mb4_bin", "refuse:not joined"},
      {"SELECT * FROM orders JOIN order_items ON orders.order_no = order_items.order_no", all4},
      {"SELECT * FROM orders o CROSS JOIN order_items i", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i", "refuse:not joined"},
      // The comparison's result compared again is no key join.
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no IN (0)", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no LIKE '0'", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no IS NULL", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no BETWEEN 0 AND 0", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no = 0", "refuse:not joined"},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = i.order_no IS FALSE", "refuse:not joined"},
      // Comma joins: the key equality must be ANDed at the top of the WHERE.
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = i.order_no", all4},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = i.order_no AND o.order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no <=> i.order_no", all4},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = i.order_no OR o.total = 1", "refuse:not joined"},
      {"SELECT * FROM orders o, order_items i WHERE (o.order_no = i.order_no OR o.total = 1) AND o.order_no = 'ORD2026112200000001'", "refuse:not joined"},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = 'ORD2026112200000001' AND (o.order_no = i.order_no OR 1=1)", "refuse:not joined"},
      {"SELECT * FROM orders o, order_items i WHERE NOT (o.order_no = i.order_no)", "refuse:not joined"},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = i.order_no XOR 1", "refuse:not joined"},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = 'ORD2026112200000001'", "refuse:not joined"},
      // Not joined, but both pinned to the same one shard: that shard holds every pair.
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000003'", "s1"},
      {"SELECT * FROM orders a JOIN orders b ON a.total = b.total WHERE a.order_no = 'ORD2026112200000001' AND b.order_no = 'ORD2026112200000003'", "s1"},
      // Not joined and pinned to different shards: the pairs cross shards.
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000002'", "refuse:not joined"},
      {"SELECT * FROM orders o JOIN order_items i ON o.total = i.price WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000002'", "refuse:not joined"},
      // Joined on the key and pinned to different keys: no row matches, one shard says so.
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000002'", "s0"},
      {"SELECT * FROM orders o, order_items i WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = NULL", "s0"},
      {"SELECT * FROM orders o JOIN members m ON o.member_id = m.member_id", "refuse:sharded independently"},
      {"SELECT * FROM orders, shops", "refuse:unsharded table shops"},
      // An ON condition ends at a ',' that starts the next table reference.
      {"SELECT * FROM shops s JOIN shop_x x ON s.id = x.id, orders o WHERE o.order_no = 'ORD2026112200000001'", "refuse:unsharded table shops"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no, shops s", "refuse:unsharded table shops"},
      {"SELECT * FROM shops s JOIN shop_x x ON (s.id = x.id), orders o", "refuse:unsharded table shops"},
      {"UPDATE shops s JOIN x ON s.id = x.id, orders o SET s.a = 1", "refuse:unsharded table shops"},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no AND FIND_IN_SET(1, '1,2'), order_items i2 WHERE i2.order_no = o.order_no", all4},
      {"SELECT * FROM orders o JOIN order_items i ON o.order_no = i.order_no, members m", "refuse:sharded independently"},
      {"SELECT * FROM orders, other_db.orders WHERE orders.order_no = 'ORD2026112200000001'", "refuse:unsharded table other_db.orders"},
      {"SELECT * FROM shops, other_db.t", "s0"},
  });
}

TEST(router_cases, subqueries_derived_tables_unions) {
  check({
      {"SELECT * FROM orders WHERE order_no IN (SELECT order_no FROM shops)", "refuse:unsharded table shops"},
      {"SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_no = orders.order_no) AND order_no = 'ORD2026112200000001'", "refuse:subquery"},
      {"SELECT *, (SELECT COUNT(*) FROM order_items) FROM orders", "refuse:subquery"},
      {"SELECT * FROM orders WHERE order_no = ANY (SELECT order_no FROM order_items)", "refuse:subquery"},
      {"SELECT (SELECT 1) FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM (SELECT 1) t, orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders, (SELECT 1) t", "refuse:derived table"},
      {"SELECT * FROM orders, LATERAL (SELECT 1) t WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders, JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) j", all4},
      {"(((SELECT * FROM orders WHERE order_no = 'ORD2026112200000001')))", "s1"},
      {"(SELECT * FROM orders WHERE order_no = 'ORD2026112200000001') UNION (SELECT * FROM orders WHERE order_no = 'ORD2026112200000003')", "refuse:UNION"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' UNION ALL SELECT * FROM orders WHERE order_no = 'ORD2026112200000003'", "refuse:UNION"},
      {"SELECT * FROM shops UNION SELECT * FROM shops", "s0"},
      {"SELECT 1 UNION SELECT 2", "s0"},
      {"TABLE orders", all4},
      {"TABLE shops", "s0"},
      {"VALUES ROW(1, 2)", "s0"},
      {"WITH x AS (SELECT * FROM orders WHERE order_no = 'ORD2026112200000001') SELECT * FROM x", "refuse:CTE"},
  });
}

TEST(router_cases, inserts) {
  check({
      {"INSERT IGNORE INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5)", "s1"},
      {"INSERT LOW_PRIORITY IGNORE INTO orders (order_no) VALUES ('ORD2026112200000002')", "s0"},
      {"INSERT HIGH_PRIORITY orders (order_no) VALUES ('ORD2026112200000002')", "s0"},
      {"INSERT orders (order_no) VALUES ('ORD2026112200000002')", "s0"},
      {"INSERT INTO orders (order_no) VALUE ('ORD2026112200000002')", "s0"},
      {"insert into orders (ORDER_NO, total) value ('ORD2026112200000001', 1)", "s1"},
      {"INSERT INTO orders (`ORDER_NO`, total) VALUES ('ORD2026112200000002', 1)", "s0"},
      {"INSERT INTO orders (orders.order_no, total) VALUES ('ORD2026112200000002', 1)", "s0"},
      {"INSERT INTO shop.orders (shop.orders.order_no) VALUES ('ORD2026120100000007')", "s3"},
      {"INSERT INTO orders (total, note, order_no) VALUES (ROUND(1.5, 0), CONCAT('a', '),('), 'ORD2026112200000002')", "s0"},
      {"INSERT INTO orders (note, order_no) VALUES ('),(''ORD2026112200000001', 'ORD2026112200000002')", "s0"},
      {"INSERT INTO orders (note, order_no) VALUES ('x', 'ORD2026112200000002'), ('),(', 'ORD2026112200000001')", "s0,s1",
       "INSERT INTO orders (note, order_no) VALUES ('x', 'ORD2026112200000002')"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', (1+2)*3), ('ORD2026112200000002', IF(1, (2), 3))", "s0,s1",
       "INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000002', IF(1, (2), 3))"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000001'), ('ORD2026112200000002') -- c", "s0,s1",
       "INSERT INTO orders (order_no) VALUES ('ORD2026112200000002') -- c"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026113000000005'), ('ORD2026120100000005')", "s1"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026113000000006'), ('ORD2026120100000006')", "s0,s2",
       "INSERT INTO orders (order_no) VALUES ('ORD2026113000000006')"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5) ON DUPLICATE KEY UPDATE total = total + 1", "s1"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5) AS new ON DUPLICATE KEY UPDATE total = new.total", "s1"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5) AS new(a, b) ON DUPLICATE KEY UPDATE total = b", "s1"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5) ON DUPLICATE KEY UPDATE order_no = VALUES(order_no)", "refuse:change shard key"},
      {"INSERT INTO orders (order_no, total) VALUES ('ORD2026112200000001', 5) ON DUPLICATE KEY UPDATE orders.order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000002') RETURNING order_no", "s0"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000002'), ('ORD2026112200000001') RETURNING order_no", "refuse:RETURNING"},
      {"INSERT INTO orders PARTITION (p0) (order_no) VALUES ('ORD2026112200000002')", "s0"},
      {"INSERT INTO order_items (order_no, sku) VALUES ('ORD2026112200000001', 'a')", "s1"},
      // Key values that are not literals, or not keys.
      {"INSERT INTO orders (order_no) VALUES (DEFAULT)", "refuse:literal"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000001' || '')", "refuse:literal"},
      {"INSERT INTO orders (order_no) VALUES (('ORD2026112200000001'))", "refuse:literal"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026' '112200000001')", "refuse:literal"},
      {"INSERT INTO members (member_id) VALUES (?)", "refuse:literal"},
      {"INSERT INTO members (member_id) VALUES (@v)", "refuse:literal"},
      {"INSERT INTO events (day) VALUES (NOW())", "refuse:literal"},
      {"INSERT INTO events (day) VALUES (DATE '2025-01-01')", "refuse:literal"},
      {"INSERT INTO members (member_id) VALUES (1.5)", "refuse:Incorrect shard key value 1.5"},
      {"INSERT INTO members (member_id) VALUES (0x10)", "refuse:Incorrect shard key value 0x10"},
      {"INSERT INTO members (member_id) VALUES ('abc')", "refuse:Incorrect shard key value 'abc'"},
      {"INSERT INTO members (member_id) VALUES (99999999999999999999)", "refuse:Incorrect shard key value"},
      {"INSERT INTO tokens (token) VALUES ('\xC3\xA0" "bc')", "refuse:Incorrect shard key value"},
      {"INSERT INTO orders SET order_no = NULL", "refuse:cannot be null"},
      {"INSERT INTO members (member_id) VALUES (-1), ('1500'), (2000)", "s0,s1,s2", "INSERT INTO members (member_id) VALUES (-1)"},
      {"INSERT INTO members (member_id, name) VALUES (1, 'a'), (2, 'b'), (1001, 'c'), (3, 'd')", "s0,s1",
       "INSERT INTO members (member_id, name) VALUES (1, 'a'),(2, 'b'),(3, 'd')"},
      {"INSERT INTO accounts (id) VALUES (1), (2), (3), (4), (5)", all4, "INSERT INTO accounts (id) VALUES (4)"},
      {"INSERT INTO events (day) VALUES ('2025-12-31'), ('2026-01-01')", "s2,s3", "INSERT INTO events (day) VALUES ('2026-01-01')"},
      {"INSERT INTO coupons (code) VALUES ('c1')", "s1"},
      {"INSERT INTO coupons (code) VALUES ('C1 ')", "s1"},
      // Missing / unreadable key columns.
      {"INSERT INTO orders (`order``no`) VALUES ('ORD2026112200000002')", "refuse:doesn't have a default value"},
      {"INSERT INTO orders VALUES ('ORD2026112200000002')", "refuse:column list"},
      {"INSERT INTO orders () VALUES ()", "refuse:doesn't have a default value"},
      {"INSERT INTO orders SET total = 1", "refuse:doesn't have a default value"},
      {"INSERT INTO orders (order_no) VALUES ROW('ORD2026112200000002')", "refuse:cannot route"},
      // INSERT ... SET, REPLACE.
      {"INSERT INTO orders SET `order_no` = 'ORD2026112200000002'", "s0"},
      {"INSERT INTO orders SET order_no = 'ORD2026112200000002' ON DUPLICATE KEY UPDATE total = 2", "s0"},
      {"INSERT INTO orders SET order_no = CONCAT('a','b')", "refuse:literal"},
      {"REPLACE orders (order_no) VALUES ('ORD2026112200000002')", "s0"},
      {"REPLACE INTO orders SET order_no = 'ORD2026112200000002'", "s0"},
      {"REPLACE INTO orders (order_no) VALUES ('ORD2026112200000001'), ('ORD2026112200000002')", "s0,s1",
       "REPLACE INTO orders (order_no) VALUES ('ORD2026112200000002')"},
      {"REPLACE INTO orders (order_no) SELECT 'ORD2026112200000002'", "refuse:SELECT into sharded table"},
      {"INSERT INTO orders (order_no) TABLE order_items", "refuse:subquery"},
      {"INSERT INTO shops (x) VALUES ((SELECT MAX(total) FROM orders))", "refuse:subquery"},
      {"INSERT INTO shops SELECT * FROM orders", "refuse:subquery"},
      {"INSERT INTO shops (id) VALUES (1), (2)", "s0"},
      // Rows only some server versions see cannot be placed.
      {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000001') /*!99999 , ('ORD2026112200000002') */", "refuse:version-conditional"},
      {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000001') /* , ('ORD2026112200000002') */", "s1"},
  });
}

TEST(router_cases, updates_and_deletes) {
  check({
      {"UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001' LIMIT 1", "s1"},
      {"UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001' ORDER BY total", "s1"},
      {"UPDATE orders SET total = 1 WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002') LIMIT 1", "refuse:ORDER BY or LIMIT"},
      {"UPDATE LOW_PRIORITY IGNORE orders SET total = 1 WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE orders SET note = 'order_no = ''x''' WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE orders SET total = (SELECT 1) WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE orders SET total = (SELECT MAX(total) FROM order_items) WHERE order_no = 'ORD2026112200000001'", "refuse:subquery"},
      {"UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001' OR order_no = 'ORD2026112200000003'", "s1"},
      {"UPDATE orders SET total = 1 WHERE order_no IN ('ORD2026112200000002', 'ORD2026112200000001') AND total > 0", "s0,s1",
       "UPDATE orders SET total = 1 WHERE order_no IN ('ORD2026112200000002') AND total > 0"},
      {"UPDATE orders SET total = 1 WHERE order_no = ?", "refuse:needs its shard key"},
      // Assigning the key.
      {"UPDATE orders SET `order_no` = 'ORD2026112200000002' WHERE order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      {"UPDATE orders SET orders.order_no = 'ORD2026112200000002' WHERE order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      {"UPDATE orders o SET o.order_no = 'ORD2026112200000002' WHERE o.order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      {"UPDATE orders SET order_no = 'ORD2026112200000003', total = 1 WHERE order_no = 'ORD2026112200000001'", "s1"},
      // Assigned twice: MySQL keeps the last value, so both must be read.
      {"UPDATE orders SET order_no = 'ORD2026112200000003', order_no = 'ORD2026112200000002' WHERE order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      {"UPDATE orders SET order_no = 'ORD2026112200000003', order_no = 'ORD2026112200000003' WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE accounts SET id = 5 WHERE id = 1", "s1"},
      {"UPDATE accounts SET id = -1 WHERE id = 1", "s1"},
      {"UPDATE accounts SET id = id + 4 WHERE id = 1", "refuse:change shard key"},
      {"UPDATE accounts SET balance = 0 WHERE id = 1 OR 1=1", all4},
      // Multi-table.
      {"UPDATE orders o JOIN order_items i ON o.order_no = i.order_no SET o.total = i.price WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE orders o JOIN order_items i ON o.order_no = i.order_no SET o.total = i.price", "refuse:needs its shard key"},
      {"UPDATE orders o, order_items i SET o.total = i.price WHERE o.order_no = i.order_no AND o.order_no = 'ORD2026112200000001'", "s1"},
      {"UPDATE orders o, order_items i SET o.total = i.price WHERE o.order_no = 'ORD2026112200000001'", "refuse:not joined"},
      {"UPDATE orders o, order_items i SET o.total = i.price WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000002'", "refuse:not joined"},
      {"UPDATE orders o JOIN shops s ON o.shop_id = s.id SET o.total = 1 WHERE o.order_no = 'ORD2026112200000001'", "refuse:unsharded table shops"},
      {"UPDATE orders o JOIN order_items i ON o.order_no = i.order_no SET i.order_no = 'x' WHERE o.order_no = 'ORD2026112200000001'", "refuse:change shard key"},
      // DELETE.
      {"DELETE FROM orders WHERE order_no = 'ORD2026112200000001' LIMIT 1", "s1"},
      {"DELETE FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002')", "s0,s1",
       "DELETE FROM orders WHERE order_no IN ('ORD2026112200000002')"},
      {"DELETE FROM orders WHERE order_no IN ('ORD2026112200000001', 'ORD2026112200000002') LIMIT 2", "refuse:ORDER BY or LIMIT"},
      {"DELETE LOW_PRIORITY QUICK IGNORE FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"DELETE FROM orders AS o WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"DELETE FROM orders WHERE order_no = 'ORD2026112200000001' RETURNING *", "s1"},
      {"DELETE FROM orders WHERE order_no = (SELECT 'ORD2026112200000001')", "refuse:needs its shard key"},
      {"DELETE FROM orders WHERE note = 'order_no = ''ORD2026112200000001'''", "refuse:needs its shard key"},
      {"DELETE o, i FROM orders o JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = 'ORD2026112200000001'", "s1"},
      {"DELETE FROM o USING orders o JOIN order_items i ON o.order_no = i.order_no WHERE o.order_no = 'ORD2026112200000002'", "s0"},
      {"DELETE o FROM orders o, order_items i WHERE o.order_no = i.order_no AND i.order_no = 'ORD2026112200000002'", "s0"},
      {"DELETE o FROM orders o, order_items i WHERE o.order_no = 'ORD2026112200000002'", "refuse:not joined"},
      {"DELETE o FROM orders o JOIN order_items i ON o.total = i.price WHERE o.order_no = 'ORD2026112200000001' AND i.order_no = 'ORD2026112200000002'", "refuse:not joined"},
      {"DELETE FROM accounts", all4},
      {"DELETE FROM accounts ORDER BY id LIMIT 1", "refuse:ORDER BY or LIMIT"},
      {"DELETE FROM accounts WHERE id = 5", "s1"},
  });
}

TEST(router_cases, ddl) {
  check({
      {"CREATE TABLE `orders` (order_no CHAR(19))", all4},
      {"CREATE TEMPORARY TABLE orders (order_no CHAR(19))", all4},
      {"CREATE TABLE other.orders (order_no CHAR(19))", "s0"},
      {"CREATE TABLE coupons (code CHAR(8))", "s1,s2,s3"},
      {"CREATE TABLE orders LIKE order_items", "refuse:reads sharded table order_items"},
      {"CREATE TABLE new_orders LIKE orders", "refuse:reads sharded table orders"},
      {"CREATE TABLE orders (LIKE order_items)", "refuse:reads sharded table order_items"},
      {"CREATE TABLE t SELECT * FROM shops", "s0"},
      {"CREATE TABLE orders SELECT * FROM order_items", "refuse:reads sharded table"},
      // The query may come in parentheses, as TABLE t or after a WITH.
      {"CREATE TABLE t2 AS (SELECT * FROM orders)", "refuse:reads sharded table orders"},
      {"CREATE TABLE t2 (SELECT * FROM orders)", "refuse:reads sharded table orders"},
      {"CREATE TABLE t2 (id INT) ((SELECT * FROM orders))", "refuse:reads sharded table orders"},
      {"CREATE TABLE t2 AS TABLE orders", "refuse:reads sharded table orders"},
      {"CREATE TABLE t2 AS WITH c AS (SELECT * FROM orders) SELECT * FROM c", "refuse:reads sharded table orders"},
      {"CREATE TABLE orders (order_no CHAR(19)) WITH SYSTEM VERSIONING", all4},
      {"CREATE TABLE t (id INT) ENGINE=InnoDB /*!50100 PARTITION BY HASH(id) */", "s0"},
      {"ALTER TABLE orders ADD INDEX (total)", all4},
      {"ALTER TABLE shop.members ADD COLUMN x INT", "s0,s1,s2"},
      {"ALTER TABLE shops ADD COLUMN x INT", "s0"},
      {"ALTER TABLE orders PARTITION BY HASH(x) PARTITIONS 4", all4},
      {"DROP TEMPORARY TABLE IF EXISTS orders", all4},
      {"DROP TABLE order_items, orders", all4},
      {"DROP TABLE tokens, accounts", all4},
      {"DROP TABLE orders, shops", "refuse:different clusters"},
      {"DROP TABLE IF EXISTS shops, other_table", "s0"},
      {"TRUNCATE orders", all4},
      {"TRUNCATE TABLE shop.tokens", all4},
      {"TRUNCATE TABLE shops", "s0"},
      {"RENAME TABLE orders TO orders_old", "refuse:different clusters"},
      {"RENAME TABLE shops TO shops2", "s0"},
      // EXCHANGE PARTITION swaps rows with a second table: it must live where the first does.
      {"ALTER TABLE shops EXCHANGE PARTITION p0 WITH TABLE orders", "refuse:different clusters"},
      {"ALTER TABLE orders EXCHANGE PARTITION p0 WITH TABLE order_items", all4},
      {"ALTER TABLE orders EXCHANGE PARTITION p0 WITH TABLE shop.order_items WITHOUT VALIDATION", all4},
      {"CREATE INDEX i ON members (x)", "s0,s1,s2"},
      {"CREATE UNIQUE INDEX i USING BTREE ON orders (order_no)", all4},
      {"DROP INDEX i ON orders", all4},
      {"DROP INDEX i ON shop.tokens", all4},
      {"DROP INDEX `PRIMARY` ON coupons", "s1,s2,s3"},
      {"CREATE DATABASE IF NOT EXISTS shop", all4},
      {"DROP SCHEMA IF EXISTS `SHOP`", all4},
      {"ALTER DATABASE shop CHARACTER SET utf8mb4", all4},
      {"CREATE VIEW v AS SELECT * FROM shops", "s0"},
      {"CREATE OR REPLACE VIEW v AS SELECT * FROM members", "refuse:reads sharded table members"},
      {"CREATE VIEW v AS (SELECT * FROM orders)", "refuse:reads sharded table orders"},
      {"CREATE TRIGGER t BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = 1", "refuse:reads sharded table orders"},
      {"CREATE PROCEDURE p() SELECT * FROM orders", "refuse:reads sharded table orders"},
      {"DROP VIEW v", "s0"},
  });
}

TEST(router_cases, show_describe_explain) {
  check({
      {"SHOW TABLES FROM shop", "s0"},
      {"SHOW COLUMNS FROM orders", "s0"},
      {"SHOW FULL COLUMNS FROM members", "s0"},
      {"SHOW INDEX FROM coupons", "s1"},
      {"SHOW KEYS IN events", "s2"},
      {"SHOW CREATE TABLE shops", "s0"},
      {"SHOW VARIABLES LIKE 'order_no'", "s0"},
      {"DESC members", "s0"},
      {"DESCRIBE shop.orders", "s0"},
      {"DESCRIBE orders order_no", "s0"},
      {"EXPLAIN orders", "s0"},
      {"EXPLAIN SELECT * FROM orders ORDER BY total LIMIT 1", "s0"},
      {"EXPLAIN FORMAT=JSON SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"EXPLAIN ANALYZE SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"DESCRIBE SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"EXPLAIN UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"EXPLAIN DELETE FROM orders", "s0"},
      {"EXPLAIN INSERT INTO orders (order_no) VALUES ('ORD2026112200000001')", "s1"},
      // A plan is rows, not an OK to add up: one shard shows it, even for rows of several.
      {"EXPLAIN INSERT INTO orders (order_no) VALUES ('ORD2026112200000002'), ('ORD2026112200000001')", "s0"},
      {"EXPLAIN SELECT * FROM orders o JOIN members m ON o.member_id = m.member_id", "refuse:sharded independently"},
      {"EXPLAIN SELECT * FROM orders JOIN shops", "refuse:unsharded table shops"},
  });
}

TEST(router_cases, multi_statement_texts) {
  check({
      {"SELECT 1; SELECT 2", "s0"},
      {"SELECT 1;", "s0"},
      {"SELECT 1;;", "s0"},
      {";", "s0"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; SELECT * FROM orders WHERE order_no = 'ORD2026112200000003'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; SELECT * FROM orders WHERE order_no = 'ORD2026112200000002'", "refuse:different shards"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; SELECT * FROM shops", "refuse:different shards"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; SELECT 1", "s1"},
      {"SET @a = 1; SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"BEGIN; UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001'; COMMIT", "s1"},
      {"BEGIN; UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000001'; UPDATE orders SET total = 1 WHERE order_no = 'ORD2026112200000002'; COMMIT", "refuse:different shards"},
      {"SELECT * FROM orders; SELECT 1", "refuse:needs several shards"},
      {"SELECT 1; SELECT * FROM orders", "refuse:needs several shards"},
      {"SELECT * FROM shops; DROP TABLE orders", "refuse:needs several shards"},
      {"SELECT * FROM shops; INSERT INTO orders (order_no) VALUES ('ORD2026112200000002')", "s0"},
      {"SELECT * FROM shops; INSERT INTO orders (order_no) VALUES ('ORD2026112200000001')", "refuse:different shards"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; SELECT * FROM orders WHERE order_no = 'unterminated", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; DELETE FROM orders", "refuse:needs its shard key"},
      // Separators inside strings and comments separate nothing.
      {"SELECT 'a;b' FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' -- ; SELECT * FROM orders", "s1"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /* ; DROP TABLE orders */", "s1"},
      // ... but inside an executable comment they do.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' /*! ; DELETE FROM orders */", "refuse:"},
  });
}

// Whether a text would end (or begin) a transaction where it runs: the session refuses
// such texts while a transaction spans shards.
TEST(router_cases, multi_statement_texts_that_end_transactions) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  router r(topo);
  route_plan plan;
  const std::pair<const char*, bool> cases[] = {
      {"COMMIT; SELECT 1", true},
      {"SELECT 1; ROLLBACK", true},
      {"SELECT 1; BEGIN", true},
      {"SELECT 1; SAVEPOINT a", true},
      {"SELECT 1; CREATE TABLE t (a INT)", true},
      {"SELECT 1; SELECT 2", false},
      {"SET @a = 1; SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", false},
      {"COMMIT", false},  // a statement of its own: the session handles it
      {"CREATE TABLE t (a INT)", false},
  };
  for (const auto& [sql, ends] : cases) {
    r.route(sql, session_view{"shop", false, false}, plan);
    EXPECT_EQ(plan.ends_transaction, ends) << sql;
  }
}

TEST(router_cases, hints) {
  check({
      {"/* shardgate: shard=s2 */ SELECT * FROM orders", "s2"},
      {"/* shardgate: shard=s2 */ DELETE FROM orders", "s2"},
      {"/* shardgate: shard=s2 */ SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s2"},
      {"/*shardgate:shard=s1*/ SELECT 1", "s1"},
      {"/* SHARDGATE: shard=s1 */ SELECT 1", "s1"},
      {"/* shardgate: shard=s1 */", "s1"},
      {"SELECT * FROM orders /* shardgate: shard=s3 */", "s3"},
      {"/* shardgate: shard=S1 */ SELECT 1", "refuse:'S1'"},
      {"/* shardgate: shard= */ SELECT 1", "s0"},
      // Not hints: other comments, strings, line comments, executable comments.
      {"/* shardgate shard=s1 */ SELECT * FROM orders", all4},
      {"/* not shardgate: shard=s1 */ SELECT * FROM orders", all4},
      {"SELECT * FROM orders WHERE note = '/* shardgate: shard=s3 */'", all4},
      {"SELECT * FROM orders -- shardgate: shard=s3", all4},
      {"/*! shardgate: shard=s3 */ SELECT 1", "s0"},
      {"/* shardgate: shard=s1 */ SELECT 1; /* shardgate: shard=s2 */ SELECT 2", "refuse:different shards"},
  });
}

TEST(router_cases, unreadable_empty_and_garbage) {
  check({
      {"", "s0"},
      {"   ", "s0"},
      {"-- just a comment", "s0"},
      {"/* only a comment */", "s0"},
      {"#", "s0"},
      {"/*!*/", "s0"},
      {"/*!50000 */", "s0"},
      {"()", "s0"},
      {"SELECT * FROM `orders", "refuse:cannot route"},
      {"SELECT * FROM orders /*", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE (order_no = 'ORD2026112200000001'", "refuse:unbalanced parentheses"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001')", "refuse:unbalanced parentheses"},
      {"SELECT * FROM shops WHERE (x = 1", "s0"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' \x01", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND \\\\", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' @", "refuse:cannot route"},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' AND x = {d '2020-01-01'}", "refuse:cannot route"},
      // Bytes above 0x7f lex as a name: not a key condition any more.
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' \xff\xfe", all4},
      {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' $x", all4},
      {"\x01\x02\x03", "s0"},
      {"SELECT 1 \x7f", "s0"},
      {"SELEKT * FROM orders WHERE order_no = 'ORD2026112200000001'", "refuse:"},
      {"LOAD DATA INFILE 'x' INTO TABLE orders", "refuse:"},
      {"HANDLER orders OPEN", "refuse:"},
      {"CALL orders_cleanup('ORD2026112200000001')", "s0"},
      {"SET @x = (SELECT total FROM orders WHERE order_no = 'ORD2026112200000001')", "refuse:"},
      {"DO (SELECT COUNT(*) FROM orders)", "refuse:"},
      {"USE orders", "s0"},
      {"SAVEPOINT orders", "s0"},
      {"LOCK TABLES shops WRITE", "s0"},
      {"LOCK TABLES shop.orders WRITE", "refuse:"},
      {"SHOW TABLES WHERE Tables_in_shop IN (SELECT order_no FROM orders)", "refuse:subquery"},
      {"SHOW TABLES WHERE Tables_in_shop IN (SELECT name FROM shops)", "s0"},
  });
}

TEST(router_cases, other_current_schemas) {
  // No current schema: only schema-qualified names are sharded.
  check(
      {
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s0"},
          {"SELECT * FROM shop.orders WHERE order_no = 'ORD2026112200000001'", "s1"},
          {"SELECT * FROM `shop`.orders o WHERE o.order_no = 'ORD2026112200000001'", "s1"},
          {"SELECT * FROM shop.orders WHERE orders.order_no = 'ORD2026112200000001'", "s1"},
          {"INSERT INTO shop.orders (order_no) VALUES ('ORD2026112200000002')", "s0"},
          {"INSERT INTO orders (order_no) VALUES ('ORD2026112200000001')", "s0"},
          {"UPDATE shop.orders SET total = 1 WHERE order_no = 'ORD2026112200000001'", "s1"},
          {"DELETE FROM shop.orders", "refuse:needs its shard key"},
          {"SELECT * FROM shop.orders o JOIN shop.order_items i ON o.order_no = i.order_no", all4},
          {"SELECT * FROM shop.orders o JOIN order_items i ON o.order_no = i.order_no", "refuse:unsharded table order_items"},
          {"DROP DATABASE shop", all4},
      },
      "");
  // The schema name is matched case-insensitively; another schema shards nothing.
  check({{"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"}}, "SHOP");
  check(
      {
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s0"},
          {"SELECT * FROM shop.orders WHERE order_no = 'ORD2026112200000001'", "s1"},
          {"SELECT * FROM orders, shop.orders", "refuse:unsharded table orders"},
          // Statements read only by their names see schema-qualified sharded tables too.
          {"SET @x = (SELECT total FROM shop.orders WHERE order_no = 'ORD2026112200000001')", "refuse:"},
          {"DO (SELECT COUNT(*) FROM shop.orders)", "refuse:"},
          {"LOAD DATA INFILE 'x' INTO TABLE shop.orders", "refuse:"},
          {"LOCK TABLES shop.orders WRITE", "refuse:"},
          {"CREATE VIEW v AS SELECT * FROM shop.orders", "refuse:reads sharded table orders"},
          {"CREATE TRIGGER tr AFTER INSERT ON x FOR EACH ROW INSERT INTO shop.orders (order_no) VALUES ('x')", "refuse:reads sharded table orders"},
          {"SHOW TABLES WHERE x IN (SELECT order_no FROM shop.orders)", "refuse:subquery"},
          {"SET NAMES utf8mb4", "s0"},
          // USE in a multi-statement text switches the schema of the statements after it.
          {"USE shop; SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s1"},
          {"USE `shop`; SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; USE other; SELECT * FROM orders", "refuse:different shards"},
          {"USE shop; DELETE FROM orders", "refuse:needs its shard key"},
      },
      "other");
  check(
      {
          {"USE other; SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'", "s0"},
          {"USE other; SELECT * FROM orders", "s0"},
          {"SELECT * FROM orders WHERE order_no = 'ORD2026112200000001'; USE other", "s1"},
      },
      "shop");
}

// clang-format on

TEST(router_cases, embedded_nul_byte) {
  auto topo = make_topology();
  ASSERT_TRUE(topo);
  router r(topo);
  route_plan plan;
  // A NUL byte is no SQL: unreadable, refused.
  const char after_key[] = "SELECT * FROM orders WHERE order_no = 'ORD2026112200000001' \0 OR 1=1";
  r.route(std::string_view(after_key, sizeof after_key - 1), session_view{"shop"}, plan);
  EXPECT_EQ(plan.action, route_action::refuse) << describe(plan, topo->config());
  // Inside a string it is part of the value: not an order number.
  const char in_string[] =
      "SELECT * FROM orders WHERE order_no = 'ORD20261122\0"
      "00000001'";
  r.route(std::string_view(in_string, sizeof in_string - 1), session_view{"shop"}, plan);
  EXPECT_EQ(describe(plan, topo->config()), all4);
}

}  // namespace
}  // namespace shardgate::routing
