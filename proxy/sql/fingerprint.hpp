// Statement fingerprints for the slow query log and /stats/queries: the statement with its
// literals replaced by `?`, so every execution of the same statement shape - whatever its
// values - has the same text and the same 64-bit hash (XXH64 of the text).
//
// Built on sql::lexer (one pass, no allocation but `out` growing once):
//   - numbers, strings (with N'' / _charset'' introducers), X'..', B'..' -> `?`; a unary
//     minus before a number is part of the literal (`= -5` -> `= ?`); `?` stays `?`;
//   - a parenthesised list of only literals and commas -> `(?+)` (IN lists, VALUES rows);
//     rows that follow one -> `,...` once (`VALUES (?+),...` for any number of rows > 1);
//   - keywords upper-cased, other names and `quoted` names as written, NULL kept;
//   - one space between tokens, none before `,` `)` `.` `;` nor after `(` `.`; a `(` right
//     after a name keeps the source's spacing (`COUNT(*)`, `now()`, `IN (?+)`);
//   - comments and /* shardgate: */ hints dropped, executable comments /*! */ read as SQL,
//     trailing `;` dropped;
//   - at most max_fingerprint_size bytes: cut at a token boundary, then `...`;
//   - text the lexer cannot read (unterminated string or comment, stray byte) is appended
//     raw from there on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shardgate::sql {

inline constexpr std::size_t max_fingerprint_size = 1024;

// Writes the fingerprint of `sql` into `out` (cleared first; its capacity is reused) and
// returns its hash. `no_backslash_escapes`: the session's sql_mode (how strings end).
std::uint64_t fingerprint(std::string_view sql, std::string& out,
                          bool no_backslash_escapes = false);

}  // namespace shardgate::sql
