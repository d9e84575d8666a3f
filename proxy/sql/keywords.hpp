// The words the routing parser looks at, numbered once: the lexer stores each identifier
// token's keyword id (0 = not one of these words), so the parser compares small integers
// instead of strings. `keyword_id("SELECT")` is evaluated at compile time and refuses to
// compile for a word missing from the list; `keyword_of(text)` is the run-time,
// case-insensitive lookup (hash of the case-folded first 8 bytes and the length, linear
// probing, then three 8-byte compares).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
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
                                                     "ASC",
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

static_assert(std::endian::native == std::endian::little, "keyword words are little-endian");

namespace detail {

inline constexpr std::size_t longest_keyword = [] {
  std::size_t n = 0;
  for (auto w : keyword_words) n = w.size() > n ? w.size() : n;
  return n;
}();
static_assert(longest_keyword <= 24, "keywords are compared as three 8-byte words");

// A word as three little-endian 8-byte words, each byte OR 0x20: for the bytes of names
// (letters, digits, '_', '$', bytes >= 0x80) that folds letter case and nothing else, so
// two folded words are equal exactly when the names are equal ignoring ASCII case.
struct folded {
  std::uint64_t w[3] = {0, 0, 0};
};

constexpr folded fold(std::string_view word) noexcept {
  folded f;
  for (std::size_t i = 0; i < word.size() && i < 24; ++i)
    f.w[i / 8] |= static_cast<std::uint64_t>(static_cast<unsigned char>(word[i]) | 0x20u)
                  << (8 * (i % 8));
  return f;
}

constexpr std::uint32_t keyword_hash(const folded& f, std::size_t size) noexcept {
  return static_cast<std::uint32_t>(((f.w[0] ^ size) * 0x9E3779B97F4A7C15ull) >> 55);  // 9 bits
}

inline constexpr std::size_t keyword_slots = 512;

struct keyword_entry {
  folded text;
  std::size_t size = 0;
};

constexpr std::array<keyword_entry, keyword_count> make_keyword_entries() {
  std::array<keyword_entry, keyword_count> entries{};
  for (std::size_t k = 1; k < keyword_count; ++k)
    entries[k] = keyword_entry{fold(keyword_words[k]), keyword_words[k].size()};
  return entries;
}
inline constexpr std::array<keyword_entry, keyword_count> keyword_entries = make_keyword_entries();

constexpr std::array<keyword, keyword_slots> make_keyword_slots() {
  std::array<keyword, keyword_slots> slots{};
  for (std::size_t k = 1; k < keyword_count; ++k) {
    std::uint32_t h = keyword_hash(keyword_entries[k].text, keyword_entries[k].size);
    while (slots[h] != 0) h = (h + 1) % keyword_slots;
    slots[h] = static_cast<keyword>(k);
  }
  return slots;
}
inline constexpr std::array<keyword, keyword_slots> keyword_slot_table = make_keyword_slots();

// Bit (c & 63) of first_byte_filter[size] is set when some keyword of `size` bytes starts
// with a byte c (folded): most names are rejected by this one lookup.
constexpr std::array<std::uint64_t, 32> make_first_byte_filter() {
  std::array<std::uint64_t, 32> filter{};
  for (std::size_t k = 1; k < keyword_count; ++k)
    filter[keyword_words[k].size()] |=
        1ull << ((static_cast<unsigned char>(keyword_words[k][0]) | 0x20u) & 63u);
  return filter;
}
inline constexpr std::array<std::uint64_t, 32> first_byte_filter = make_first_byte_filter();

inline keyword find_folded(std::uint64_t w0, std::uint64_t w1, std::uint64_t w2,
                           std::size_t size) noexcept {
  std::uint32_t h = static_cast<std::uint32_t>(((w0 ^ size) * 0x9E3779B97F4A7C15ull) >> 55);
  for (;;) {
    const keyword k = keyword_slot_table[h];
    if (k == 0) return 0;
    const keyword_entry& e = keyword_entries[k];
    if (e.size == size && e.text.w[0] == w0 && e.text.w[1] == w1 && e.text.w[2] == w2) return k;
    h = (h + 1) % keyword_slots;
  }
}

}  // namespace detail

// The keyword id of an identifier's text, any letter case (0: not a keyword).
inline keyword keyword_of(std::string_view word) noexcept {
  if (word.size() < 2 || word.size() > detail::longest_keyword) return 0;
  const detail::folded f = detail::fold(word);
  if (!((detail::first_byte_filter[word.size()] >> (f.w[0] & 63)) & 1)) return 0;
  return detail::find_folded(f.w[0], f.w[1], f.w[2], word.size());
}

// The same for text[at, at + size), reading whole 8-byte words where `text` has 24 bytes
// from `at` (the lexer's case: no byte loop).
inline keyword keyword_at(std::string_view text, std::size_t at, std::size_t size) noexcept {
  if (size < 2 || size > detail::longest_keyword) return 0;
  const char* const p = text.data() + at;
  if (!((detail::first_byte_filter[size] >> ((static_cast<unsigned char>(p[0]) | 0x20u) & 63u)) &
        1))
    return 0;
  if (at + 24 > text.size()) return keyword_of(text.substr(at, size));
  constexpr std::uint64_t case_bits = 0x2020202020202020ull;
  auto word = [&](std::size_t i) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    const std::size_t bytes = size > 8 * i ? size - 8 * i : 0;
    const std::uint64_t mask = bytes >= 8 ? ~0ull : ((1ull << (8 * bytes)) - 1);
    return (w | case_bits) & mask;
  };
  const std::uint64_t w0 = word(0);
  const std::uint64_t w1 = size > 8 ? word(1) : 0;
  const std::uint64_t w2 = size > 16 ? word(2) : 0;
  return detail::find_folded(w0, w1, w2, size);
}

}  // namespace shardgate::sql
