// The words the routing parser looks at, numbered once: the lexer stores each identifier
// token's keyword id (0 = not one of these words), so the parser compares small integers
// instead of strings. `keyword_id("SELECT")` is evaluated at compile time and refuses to
// compile for a word missing from the list; `keyword_of(text)` is the run-time,
// case-insensitive lookup (a perfect-enough hash over length and first/last letters).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shardgate::sql {

using keyword = std::uint16_t;  // 0: not a keyword

inline constexpr std::string_view keyword_words[] = {"",  // 0: none
                                                     "ALL",
                                                     "ALTER",
                                                     "ANALYZE",
                                                     "AND",
                                                     "ANY",
                                                     "AS",
                                                     "AVG",
                                                     "BEGIN",
                                                     "BETWEEN",
                                                     "BINARY",
                                                     "BIT_AND",
                                                     "BIT_OR",
                                                     "BIT_XOR",
                                                     "BY",
                                                     "CALL",
                                                     "CASE",
                                                     "COLLATE",
                                                     "COLUMNS",
                                                     "COMMIT",
                                                     "CONNECTION_ID",
                                                     "COUNT",
                                                     "CREATE",
                                                     "CROSS",
                                                     "DATABASE",
                                                     "DATE",
                                                     "DEFAULT",
                                                     "DELAYED",
                                                     "DELETE",
                                                     "DESC",
                                                     "DESCRIBE",
                                                     "DISTINCT",
                                                     "DISTINCTROW",
                                                     "DIV",
                                                     "DROP",
                                                     "DUAL",
                                                     "DUPLICATE",
                                                     "END",
                                                     "ESCAPE",
                                                     "EXCEPT",
                                                     "EXECUTE",
                                                     "EXISTS",
                                                     "EXPLAIN",
                                                     "EXTENDED",
                                                     "FALSE",
                                                     "FETCH",
                                                     "FIELDS",
                                                     "FOR",
                                                     "FORCE",
                                                     "FORMAT",
                                                     "FOUND_ROWS",
                                                     "FROM",
                                                     "FULL",
                                                     "FULLTEXT",
                                                     "GROUP",
                                                     "GROUP_CONCAT",
                                                     "HAVING",
                                                     "HIGH_PRIORITY",
                                                     "IF",
                                                     "IGNORE",
                                                     "IN",
                                                     "INDEX",
                                                     "INDEXES",
                                                     "INNER",
                                                     "INSERT",
                                                     "INTERSECT",
                                                     "INTERVAL",
                                                     "INTO",
                                                     "IS",
                                                     "JOIN",
                                                     "JSON_ARRAYAGG",
                                                     "JSON_OBJECTAGG",
                                                     "JSON_TABLE",
                                                     "KEY",
                                                     "KEYS",
                                                     "LASTVAL",
                                                     "LAST_INSERT_ID",
                                                     "LATERAL",
                                                     "LEFT",
                                                     "LIKE",
                                                     "LIMIT",
                                                     "LOCK",
                                                     "LOW_PRIORITY",
                                                     "MAX",
                                                     "MEMBER",
                                                     "MIN",
                                                     "MOD",
                                                     "NATURAL",
                                                     "NEXTVAL",
                                                     "NOT",
                                                     "NOWAIT",
                                                     "NULL",
                                                     "OF",
                                                     "OFFLINE",
                                                     "OFFSET",
                                                     "ON",
                                                     "ONLINE",
                                                     "OR",
                                                     "ORDER",
                                                     "OUTER",
                                                     "OVER",
                                                     "PARTITION",
                                                     "PARTITIONS",
                                                     "PERCENTILE_CONT",
                                                     "PREPARE",
                                                     "PROCEDURE",
                                                     "QUICK",
                                                     "RECURSIVE",
                                                     "REGEXP",
                                                     "RELEASE",
                                                     "RENAME",
                                                     "REPLACE",
                                                     "RETURNING",
                                                     "RIGHT",
                                                     "RLIKE",
                                                     "ROLLBACK",
                                                     "ROW",
                                                     "ROW_COUNT",
                                                     "SAVEPOINT",
                                                     "SCHEMA",
                                                     "SELECT",
                                                     "SET",
                                                     "SHARE",
                                                     "SHOW",
                                                     "SKIP",
                                                     "SOME",
                                                     "SOUNDS",
                                                     "SPATIAL",
                                                     "SQL_BIG_RESULT",
                                                     "SQL_BUFFER_RESULT",
                                                     "SQL_CACHE",
                                                     "SQL_CALC_FOUND_ROWS",
                                                     "SQL_NO_CACHE",
                                                     "SQL_SMALL_RESULT",
                                                     "START",
                                                     "STD",
                                                     "STDDEV",
                                                     "STDDEV_POP",
                                                     "STDDEV_SAMP",
                                                     "STRAIGHT_JOIN",
                                                     "SUM",
                                                     "SYSTEM",
                                                     "SYSTEM_TIME",
                                                     "TABLE",
                                                     "TABLES",
                                                     "TEMPORARY",
                                                     "TIME",
                                                     "TIMESTAMP",
                                                     "TO",
                                                     "TRANSACTION",
                                                     "TRUE",
                                                     "TRUNCATE",
                                                     "UNION",
                                                     "UNIQUE",
                                                     "UNKNOWN",
                                                     "UPDATE",
                                                     "USE",
                                                     "USING",
                                                     "VALUE",
                                                     "VALUES",
                                                     "VARIANCE",
                                                     "VAR_POP",
                                                     "VAR_SAMP",
                                                     "WAIT",
                                                     "WHERE",
                                                     "WINDOW",
                                                     "WITH",
                                                     "XA",
                                                     "XOR"};

inline constexpr std::size_t keyword_count = std::size(keyword_words);

// The id of an upper-case keyword, at compile time (a word not in the list does not compile).
consteval keyword keyword_id(std::string_view upper) {
  for (std::size_t k = 1; k < keyword_count; ++k)
    if (keyword_words[k] == upper) return static_cast<keyword>(k);
  throw "not in sql::keyword_words";  // NOLINT: a compile-time error
}

namespace detail {

constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

inline constexpr std::size_t keyword_slots = 1024;

constexpr std::uint32_t keyword_hash(std::size_t size, char first, char second,
                                     char last) noexcept {
  const auto f = static_cast<std::uint32_t>(static_cast<unsigned char>(ascii_upper(first)));
  const auto s = static_cast<std::uint32_t>(static_cast<unsigned char>(ascii_upper(second)));
  const auto l = static_cast<std::uint32_t>(static_cast<unsigned char>(ascii_upper(last)));
  return (static_cast<std::uint32_t>(size) * 97u + f * 31u + s * 7u + l * 131u) % keyword_slots;
}

constexpr std::array<keyword, keyword_slots> make_keyword_slots() {
  std::array<keyword, keyword_slots> slots{};
  for (std::size_t k = 1; k < keyword_count; ++k) {
    const std::string_view w = keyword_words[k];
    std::uint32_t h = keyword_hash(w.size(), w[0], w[1], w.back());
    while (slots[h] != 0) h = (h + 1) % keyword_slots;
    slots[h] = static_cast<keyword>(k);
  }
  return slots;
}

inline constexpr std::array<keyword, keyword_slots> keyword_slot_table = make_keyword_slots();

inline constexpr std::size_t longest_keyword = [] {
  std::size_t n = 0;
  for (auto w : keyword_words) n = w.size() > n ? w.size() : n;
  return n;
}();

}  // namespace detail

// The keyword id of an identifier's text, any letter case (0: not a keyword).
inline keyword keyword_of(std::string_view word) noexcept {
  if (word.size() < 2 || word.size() > detail::longest_keyword) return 0;
  std::uint32_t h = detail::keyword_hash(word.size(), word[0], word[1], word.back());
  for (;;) {
    const keyword k = detail::keyword_slot_table[h];
    if (k == 0) return 0;
    const std::string_view w = keyword_words[k];
    if (w.size() == word.size()) {
      std::size_t i = 0;
      while (i < w.size() && detail::ascii_upper(word[i]) == w[i]) ++i;
      if (i == w.size()) return k;
    }
    h = (h + 1) % detail::keyword_slots;
  }
}

}  // namespace shardgate::sql
