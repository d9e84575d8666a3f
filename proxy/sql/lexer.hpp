// A MySQL/MariaDB lexer for the routing parser: one pass, no allocation, tokens are
// (kind, offset, length) into the statement text. Comments are skipped except ShardGate
// routing hints (/* shardgate: ... */); the content of executable comments (/*! ... */,
// /*!50700 ... */, /*M! ... */) is lexed as SQL, as the server executes it. Anything the
// lexer cannot read (an unterminated string or comment, a stray byte) is an `error` token:
// the parser then says "cannot tell" instead of guessing.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sql/keywords.hpp"

namespace shardgate::sql {

enum class token_kind : std::uint8_t {
  end,                // end of input
  identifier,         // plain identifier or keyword (see keyword_of)
  quoted_identifier,  // `name` (backquotes included in the text; `` escapes a backquote)
  number,             // 12, 1.5, .5, 1e-3, 0x1F, 0b101
  string,             // 'x', "x", N'x', _utf8mb4'x' (text includes quotes and any introducer)
  hex_string,         // X'1F'
  bit_string,         // B'101'
  placeholder,        // ?
  user_variable,      // @x, @'x', @`x`, @"x"
  system_variable,    // @@x, @@session.x, @@global.x
  op,                 // = <=> < <= > >= <> != := || && << >> -> ->> + - * / % ^ & | ~ ! :
  lparen,
  rparen,
  comma,
  semicolon,
  dot,
  hint,   // /* shardgate: ... */ - text is the whole comment
  error,  // unreadable input from here on (text: the offending part)
};

const char* token_kind_name(token_kind k) noexcept;

// Operators, numbered like keywords: `operator_id("<=>")` at compile time.
inline constexpr std::string_view operator_texts[] = {
    "",   "=",   "<=>", "<", "<=", ">", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>",
    "->", "->>", "+",   "-", "*",  "/", "%",  "^",  "&",  "|",  "~",  "!",  ":"};

consteval std::uint16_t operator_id(std::string_view text) {
  for (std::size_t k = 1; k < std::size(operator_texts); ++k)
    if (operator_texts[k] == text) return static_cast<std::uint16_t>(k);
  throw "not in sql::operator_texts";  // NOLINT: a compile-time error
}

struct token {  // 12 bytes: kind, (padding), code, offset, length
  token_kind kind = token_kind::end;
  // identifier: its keyword id (sql/keywords.hpp; 0 = none); op: its operator id; else 0.
  std::uint16_t code = 0;
  std::uint32_t offset = 0;  // byte offset in the statement
  std::uint32_t length = 0;  // bytes
  std::string_view text(std::string_view sql) const noexcept { return sql.substr(offset, length); }
};

static_assert(sizeof(token) == 12 && offsetof(token, code) == 2 && offsetof(token, offset) == 4);
static_assert(std::endian::native == std::endian::little, "lexer::make packs tokens little-endian");

// What lexer::tokenize met besides the tokens it stored.
struct tokenize_result {
  bool error = false;                // stopped at unreadable text: `stop` is the error token
  token stop;                        // the `end` or `error` token
  token last_hint;                   // the last /* shardgate: ... */ comment (kind end: none)
  bool executable_comments = false;  // a /*! ... */ or /*M! ... */ comment was read as SQL
};

class lexer {
 public:
  // `no_backslash_escapes`: the session's sql_mode has NO_BACKSLASH_ESCAPES (a backslash
  // in a string is then an ordinary character).
  explicit lexer(std::string_view sql, bool no_backslash_escapes = false) noexcept
      : sql_(sql), no_backslash_escapes_(no_backslash_escapes) {}
  token next() noexcept;
  // Appends every token up to (excluding) `end` or the first `error` to `out`, leaving out
  // hints (the last one is reported); the same tokens next() returns, in one tight loop.
  tokenize_result tokenize(std::vector<token>& out) noexcept;
  std::string_view source() const noexcept { return sql_; }

 private:
  token make(token_kind k, std::size_t start, std::uint16_t code = 0) noexcept {
    last_ = k;
    last_end_ = pos_;
    return pack(k, code, start, pos_);
  }
  // A token built as whole words: field-by-field stores read back as one load stall the CPU.
  static token pack(token_kind k, std::uint16_t code, std::size_t start, std::size_t end) noexcept {
    const std::uint64_t head = static_cast<std::uint64_t>(k) | (std::uint64_t{code} << 16) |
                               (static_cast<std::uint64_t>(start) << 32);
    token t;
    std::memcpy(static_cast<void*>(&t), &head, sizeof head);
    t.length = static_cast<std::uint32_t>(end - start);
    return t;
  }
  enum class skipped : std::uint8_t { nothing, hint, error };
  // Skips white space and comments; a hint or an unterminated comment goes to `out`.
  skipped skip_space_and_comments(token& out) noexcept;
  // Lexes a quoted run whose opening quote is at pos_; the token starts at `start`.
  token lex_quoted(std::size_t start, char quote, token_kind kind, bool escapes) noexcept;
  token lex_number(std::size_t start) noexcept;
  token lex_word(std::size_t start) noexcept;
  token lex_variable(std::size_t start) noexcept;
  token lex_operator(std::size_t start) noexcept;

  std::string_view sql_;
  bool no_backslash_escapes_ = false;
  std::size_t pos_ = 0;
  int executable_comment_depth_ = 0;  // inside /*! ... */: its closing */ is not SQL
  bool saw_executable_comment_ = false;
  token_kind last_ = token_kind::end;
  std::size_t last_end_ = 0;  // where the last token ended
};

// Case-insensitive comparison of an identifier token's text with an upper-case keyword.
bool is_keyword(std::string_view word, std::string_view upper_keyword) noexcept;

// The value of a string token: quotes and introducer removed, escapes applied (\n, \t, \0,
// \Z, \\, \', \", \%, \_ kept with backslash as MySQL does, doubled quotes). Appends to
// `out`; returns false for a token that is not a string. `no_backslash_escapes` follows the
// session's sql_mode.
bool string_value(std::string_view token_text, std::string& out, bool no_backslash_escapes = false);

// The unquoted name of an identifier or quoted identifier token (`` -> `).
std::string identifier_value(std::string_view token_text);

}  // namespace shardgate::sql
