#include "sql/lexer.hpp"

#include <array>
#include <bit>
#include <cstring>

namespace shardgate::sql {

namespace {

// Character classes, one table lookup per byte on the hot path.
enum : std::uint8_t {
  cls_space = 1,
  cls_digit = 2,
  cls_ident = 4,
  cls_hex = 8,
  cls_skip = 16,  // may start white space or a comment (or close an executable comment)
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c : {' ', '\t', '\n', '\r', '\f', '\v'}) t[c] |= cls_space | cls_skip;
  for (int c : {'#', '-', '/', '*'}) t[c] |= cls_skip;
  for (int c = '0'; c <= '9'; ++c) t[c] |= cls_digit | cls_ident | cls_hex;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= cls_ident;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= cls_ident;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= cls_hex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= cls_hex;
  t['_'] |= cls_ident;
  t['$'] |= cls_ident;
  for (int c = 0x80; c < 0x100; ++c) t[c] |= cls_ident;  // UTF-8 bytes of non-ASCII names
  return t;
}
constexpr std::array<std::uint8_t, 256> classes = make_classes();

bool is_space(unsigned char c) {
  return classes[c] & cls_space;
}
bool is_digit(unsigned char c) {
  return classes[c] & cls_digit;
}
bool is_hex(unsigned char c) {
  return classes[c] & cls_hex;
}
bool is_ident(unsigned char c) {
  return classes[c] & cls_ident;
}
bool may_skip(unsigned char c) {
  return classes[c] & cls_skip;
}
char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

bool starts_with_ci(std::string_view s, std::string_view upper_prefix) {
  if (s.size() < upper_prefix.size()) return false;
  for (std::size_t i = 0; i < upper_prefix.size(); ++i)
    if (upper(s[i]) != upper_prefix[i]) return false;
  return true;
}

// What tokenize()'s fast path does with a token's first byte (slow: next() reads it).
enum : std::uint8_t {
  fast_slow,
  fast_name,
  fast_name_prefix,  // N, X, B: a name, or the prefix of N'..', X'..', B'..'
  fast_digit,
  fast_quote,
  fast_backquote,
  fast_lparen,
  fast_rparen,
  fast_comma,
  fast_equals,
};

constexpr std::array<std::uint8_t, 256> make_fast_starts() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    if (classes[c] & cls_ident) t[c] = (classes[c] & cls_digit) ? fast_digit : fast_name;
  for (int c : {'N', 'n', 'X', 'x', 'B', 'b'}) t[c] = fast_name_prefix;
  t['\''] = t['"'] = fast_quote;
  t['`'] = fast_backquote;
  t['('] = fast_lparen;
  t[')'] = fast_rparen;
  t[','] = fast_comma;
  t['='] = fast_equals;
  return t;
}
constexpr std::array<std::uint8_t, 256> fast_starts = make_fast_starts();

constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;

std::uint64_t load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The high bit of each byte of w that is zero (exact: no false positives).
std::uint64_t zero_bytes(std::uint64_t w) {
  return ~(((w & ~highs) + ~highs) | w) & highs;
}

// The first position >= p holding `quote` or a backslash (n if none), 8 bytes at a time.
std::size_t scan_to_quote_or_backslash(const char* base, std::size_t p, std::size_t n, char quote) {
  const std::uint64_t q = ones * static_cast<unsigned char>(quote);
  const std::uint64_t bs = ones * static_cast<unsigned char>('\\');
  while (p + 8 <= n) {
    const std::uint64_t w = load8(base + p);
    const std::uint64_t hit = zero_bytes(w ^ q) | zero_bytes(w ^ bs);
    if (hit) return p + static_cast<std::size_t>(std::countr_zero(hit) / 8);
    p += 8;
  }
  while (p < n && base[p] != quote && base[p] != '\\') ++p;
  return p;
}

// The first position >= p that is not a decimal digit (n if none), 8 bytes at a time.
std::size_t scan_digits(const char* base, std::size_t p, std::size_t n) {
  while (p + 8 <= n) {
    const std::uint64_t w = load8(base + p);
    // A byte is a digit when it is 0x30..0x39: (b - 0x30) and (b + 0x46) both keep the high
    // bit clear (bytes >= 0x80 have it set already).
    const std::uint64_t not_digit = ((w - ones * 0x30) | (w + ones * 0x46) | w) & highs;
    if (not_digit) return p + static_cast<std::size_t>(std::countr_zero(not_digit) / 8);
    p += 8;
  }
  while (p < n && is_digit(static_cast<unsigned char>(base[p]))) ++p;
  return p;
}
}  // namespace

const char* token_kind_name(token_kind k) noexcept {
  switch (k) {
    case token_kind::end:
      return "end";
    case token_kind::identifier:
      return "identifier";
    case token_kind::quoted_identifier:
      return "quoted_identifier";
    case token_kind::number:
      return "number";
    case token_kind::string:
      return "string";
    case token_kind::hex_string:
      return "hex_string";
    case token_kind::bit_string:
      return "bit_string";
    case token_kind::placeholder:
      return "placeholder";
    case token_kind::user_variable:
      return "user_variable";
    case token_kind::system_variable:
      return "system_variable";
    case token_kind::op:
      return "op";
    case token_kind::lparen:
      return "lparen";
    case token_kind::rparen:
      return "rparen";
    case token_kind::comma:
      return "comma";
    case token_kind::semicolon:
      return "semicolon";
    case token_kind::dot:
      return "dot";
    case token_kind::hint:
      return "hint";
    case token_kind::error:
      return "error";
  }
  return "?";
}

bool is_keyword(std::string_view word, std::string_view upper_keyword) noexcept {
  return word.size() == upper_keyword.size() && starts_with_ci(word, upper_keyword);
}

lexer::skipped lexer::skip_space_and_comments(token& out) noexcept {
  const std::size_t n = sql_.size();
  while (pos_ < n) {
    const unsigned char c = sql_[pos_];
    if (is_space(c)) {
      ++pos_;
      while (pos_ < n && is_space(static_cast<unsigned char>(sql_[pos_]))) ++pos_;
    } else if (c == '#' || (c == '-' && pos_ + 1 < n && sql_[pos_ + 1] == '-' &&
                            (pos_ + 2 == n || static_cast<unsigned char>(sql_[pos_ + 2]) <= ' '))) {
      while (pos_ < n && sql_[pos_] != '\n') ++pos_;
    } else if (c == '/' && pos_ + 1 < n && sql_[pos_ + 1] == '*') {
      const std::size_t start = pos_;
      // Executable comments: the server runs their content, so it is SQL to us too.
      if (pos_ + 2 < n && (sql_[pos_ + 2] == '!' ||
                           (sql_[pos_ + 2] == 'M' && pos_ + 3 < n && sql_[pos_ + 3] == '!'))) {
        pos_ += sql_[pos_ + 2] == '!' ? 3 : 4;
        while (pos_ < n && is_digit(sql_[pos_])) ++pos_;  // version
        ++executable_comment_depth_;
        saw_executable_comment_ = true;
        continue;
      }
      const std::size_t close = sql_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) {
        out = token{token_kind::error, 0, static_cast<std::uint32_t>(start),
                    static_cast<std::uint32_t>(n - start)};
        pos_ = n;
        last_ = token_kind::error;
        return skipped::error;
      }
      pos_ = close + 2;
      std::string_view body = sql_.substr(start + 2, close - start - 2);
      while (!body.empty() && is_space(body.front())) body.remove_prefix(1);
      if (starts_with_ci(body, "SHARDGATE:")) {
        out = token{token_kind::hint, 0, static_cast<std::uint32_t>(start),
                    static_cast<std::uint32_t>(pos_ - start)};
        last_ = token_kind::hint;
        return skipped::hint;
      }
    } else if (c == '*' && executable_comment_depth_ > 0 && pos_ + 1 < n && sql_[pos_ + 1] == '/') {
      pos_ += 2;
      --executable_comment_depth_;
    } else {
      break;
    }
  }
  return skipped::nothing;
}

token lexer::next() noexcept {
  // Most tokens follow one space: skip it here, and call the general skipper only when
  // the next byte may start more white space or a comment.
  if (pos_ < sql_.size() && sql_[pos_] == ' ') ++pos_;
  if (pos_ < sql_.size() && may_skip(static_cast<unsigned char>(sql_[pos_]))) {
    token special;
    switch (skip_space_and_comments(special)) {
      case skipped::hint:
      case skipped::error:
        return special;
      case skipped::nothing:
        break;
    }
  }
  const std::size_t n = sql_.size();
  const std::size_t start = pos_;
  if (pos_ >= n) {
    // An executable comment that never closes is an unbalanced comment: a syntax error.
    if (executable_comment_depth_ > 0) {
      executable_comment_depth_ = 0;
      return make(token_kind::error, start);
    }
    return make(token_kind::end, start);
  }
  const unsigned char c = sql_[pos_];
  switch (c) {
    case '\'':
    case '"':
      return lex_quoted(start, static_cast<char>(c), token_kind::string, !no_backslash_escapes_);
    case '`':
      return lex_quoted(start, '`', token_kind::quoted_identifier, false);
    case '?':
      ++pos_;
      return make(token_kind::placeholder, start);
    case '@':
      return lex_variable(start);
    case '(':
      ++pos_;
      return make(token_kind::lparen, start);
    case ')':
      ++pos_;
      return make(token_kind::rparen, start);
    case ',':
      ++pos_;
      return make(token_kind::comma, start);
    case ';':
      ++pos_;
      return make(token_kind::semicolon, start);
    case '.':
      // ".5" is a number, except right after a name (t.5col, `t`.`5`): then it is the dot
      // of a qualified name, as in MySQL's lexer.
      if (pos_ + 1 < n && is_digit(sql_[pos_ + 1]) &&
          !(last_end_ == pos_ &&
            (last_ == token_kind::identifier || last_ == token_kind::quoted_identifier)))
        return lex_number(start);
      ++pos_;
      return make(token_kind::dot, start);
    default:
      break;
  }
  if (is_digit(c)) return lex_number(start);
  if (is_ident(c)) return lex_word(start);
  return lex_operator(start);
}

token lexer::lex_quoted(std::size_t start, char quote, token_kind kind, bool escapes) noexcept {
  const std::size_t n = sql_.size();
  const char* const base = sql_.data();
  const char* p = base + pos_ + 1;  // after the opening quote
  const char* const e = base + n;
  while (p < e) {
    const char c = *p;
    if (c == '\\' && escapes) {
      p += 2;
    } else if (c == quote) {
      if (p + 1 < e && p[1] == quote) {
        p += 2;
      } else {
        pos_ = static_cast<std::size_t>(p + 1 - base);
        return make(kind, start);
      }
    } else {
      ++p;
    }
  }
  pos_ = n;
  return make(token_kind::error, start);  // unterminated
}

token lexer::lex_number(std::size_t start) noexcept {
  const std::size_t n = sql_.size();
  auto ident_follows = [&] { return pos_ < n && is_ident(sql_[pos_]); };
  auto as_identifier = [&] {
    while (pos_ < n && is_ident(sql_[pos_])) ++pos_;
    return make(token_kind::identifier, start);
  };
  if (sql_[pos_] == '0' && pos_ + 1 < n && (sql_[pos_ + 1] == 'x' || sql_[pos_ + 1] == 'b')) {
    const bool hex = sql_[pos_ + 1] == 'x';
    std::size_t p = pos_ + 2;
    while (p < n && (hex ? is_hex(sql_[p]) : (sql_[p] == '0' || sql_[p] == '1'))) ++p;
    pos_ = p;
    if (p > start + 2 && !ident_follows()) return make(token_kind::number, start);
    return as_identifier();  // 0x, 0xZZ, 0b2 are identifiers
  }
  bool fraction_or_exponent = false;
  {
    const char* p = sql_.data() + pos_;
    const char* const e = sql_.data() + n;
    while (p < e && is_digit(static_cast<unsigned char>(*p))) ++p;
    pos_ = static_cast<std::size_t>(p - sql_.data());
  }
  if (pos_ < n && sql_[pos_] == '.') {
    ++pos_;
    fraction_or_exponent = true;
    while (pos_ < n && is_digit(sql_[pos_])) ++pos_;
  }
  if (pos_ < n && (sql_[pos_] == 'e' || sql_[pos_] == 'E')) {
    std::size_t p = pos_ + 1;
    if (p < n && (sql_[p] == '+' || sql_[p] == '-')) ++p;
    if (p < n && is_digit(sql_[p])) {
      pos_ = p;
      while (pos_ < n && is_digit(sql_[pos_])) ++pos_;
      fraction_or_exponent = true;
    }
  }
  // Digits followed by letters form an identifier (MySQL allows names like 1abc).
  if (!fraction_or_exponent && ident_follows()) return as_identifier();
  return make(token_kind::number, start);
}

token lexer::lex_word(std::size_t start) noexcept {
  const std::size_t n = sql_.size();
  const char c = sql_[pos_];
  if (pos_ + 1 < n && sql_[pos_ + 1] == '\'') {
    if (c == 'N' || c == 'n') {
      ++pos_;
      return lex_quoted(start, '\'', token_kind::string, !no_backslash_escapes_);
    }
    if (c == 'X' || c == 'x' || c == 'B' || c == 'b') {
      ++pos_;
      return lex_quoted(start, '\'',
                        c == 'X' || c == 'x' ? token_kind::hex_string : token_kind::bit_string,
                        false);
    }
  }
  {
    const char* p = sql_.data() + pos_;
    const char* const e = sql_.data() + n;
    while (p < e && is_ident(static_cast<unsigned char>(*p))) ++p;
    pos_ = static_cast<std::size_t>(p - sql_.data());
  }
  // A character set introducer: _utf8mb4'text'.
  if (c == '_' && pos_ < n && (sql_[pos_] == '\'' || sql_[pos_] == '"'))
    return lex_quoted(start, sql_[pos_], token_kind::string, !no_backslash_escapes_);
  return make(token_kind::identifier, start, keyword_at(sql_, start, pos_ - start));
}

token lexer::lex_variable(std::size_t start) noexcept {
  const std::size_t n = sql_.size();
  ++pos_;  // @
  if (pos_ < n && sql_[pos_] == '@') {
    ++pos_;
    const std::size_t name = pos_;
    while (pos_ < n && (is_ident(sql_[pos_]) || sql_[pos_] == '.')) ++pos_;
    return make(pos_ > name ? token_kind::system_variable : token_kind::error, start);
  }
  if (pos_ < n && (sql_[pos_] == '\'' || sql_[pos_] == '"' || sql_[pos_] == '`')) {
    token t = lex_quoted(start, sql_[pos_], token_kind::user_variable,
                         sql_[pos_] != '`' && !no_backslash_escapes_);
    return t;
  }
  const std::size_t name = pos_;
  while (pos_ < n && (is_ident(sql_[pos_]) || sql_[pos_] == '.')) ++pos_;
  return make(pos_ > name ? token_kind::user_variable : token_kind::error, start);
}

token lexer::lex_operator(std::size_t start) noexcept {
  const std::size_t n = sql_.size();
  const char c = sql_[pos_];
  const char c1 = pos_ + 1 < n ? sql_[pos_ + 1] : '\0';
  const char c2 = pos_ + 2 < n ? sql_[pos_ + 2] : '\0';
  auto take = [&](std::size_t len, std::uint16_t id) {
    pos_ += len;
    return make(token_kind::op, start, id);
  };
  switch (c) {
    case '=':
      return take(1, operator_id("="));
    case '<':
      if (c1 == '=') return c2 == '>' ? take(3, operator_id("<=>")) : take(2, operator_id("<="));
      if (c1 == '>') return take(2, operator_id("<>"));
      if (c1 == '<') return take(2, operator_id("<<"));
      return take(1, operator_id("<"));
    case '>':
      if (c1 == '=') return take(2, operator_id(">="));
      if (c1 == '>') return take(2, operator_id(">>"));
      return take(1, operator_id(">"));
    case '!':
      if (c1 == '=') return take(2, operator_id("!="));
      return take(1, operator_id("!"));
    case ':':
      if (c1 == '=') return take(2, operator_id(":="));
      return take(1, operator_id(":"));
    case '|':
      if (c1 == '|') return take(2, operator_id("||"));
      return take(1, operator_id("|"));
    case '&':
      if (c1 == '&') return take(2, operator_id("&&"));
      return take(1, operator_id("&"));
    case '-':
      if (c1 == '>') return c2 == '>' ? take(3, operator_id("->>")) : take(2, operator_id("->"));
      return take(1, operator_id("-"));
    case '+':
      return take(1, operator_id("+"));
    case '*':
      return take(1, operator_id("*"));
    case '/':
      return take(1, operator_id("/"));
    case '%':
      return take(1, operator_id("%"));
    case '^':
      return take(1, operator_id("^"));
    case '~':
      return take(1, operator_id("~"));
    default:
      ++pos_;
      return make(token_kind::error, start);
  }
}

// The common tokens - names and keywords, plain integers, strings without escapes or
// doubled quotes, `=`, parentheses, commas - after plain white space are read here in one
// loop with the position in a register. Anything else (comments, other operators, numbers
// with a fraction, exponent or radix, escapes, prefixes such as N'' and _utf8mb4'', `.`)
// goes through next() from the first byte of the token, so both paths give the same
// tokens (checked by the lexer tests and the lexer fuzz target).
tokenize_result lexer::tokenize(std::vector<token>& out) noexcept {
  tokenize_result result;
  const char* const base = sql_.data();
  const std::size_t n = sql_.size();
  // The fast path keeps no state but the position; last_ / last_end_ (for next()'s rule
  // about '.') are set from the last token when next() is called.
  std::size_t p = pos_;
  auto emit = [&](token_kind kind, std::size_t start, std::size_t end, std::uint16_t code)
      __attribute__((always_inline)) {
    out.push_back(pack(kind, code, start, end));
    p = end;
  };
  for (;;) {
    while (p < n && is_space(static_cast<unsigned char>(base[p]))) ++p;
    if (p < n) {
      const unsigned char c = static_cast<unsigned char>(base[p]);
      const std::size_t start = p;
      switch (fast_starts[c]) {
        case fast_name_prefix:  // N'..', X'..', B'..' go to next()
          if (p + 1 < n && base[p + 1] == '\'') break;
          [[fallthrough]];
        case fast_name: {
          ++p;
          while (p < n && is_ident(static_cast<unsigned char>(base[p]))) ++p;
          if (c == '_' && p < n && (base[p] == '\'' || base[p] == '"')) break;  // _utf8mb4'..'
          emit(token_kind::identifier, start, p, keyword_at(sql_, start, p - start));
          continue;
        }
        case fast_digit: {
          if (c == '0' && p + 1 < n && (base[p + 1] == 'x' || base[p + 1] == 'b')) break;
          p = scan_digits(base, p + 1, n);
          if (p == n || (base[p] != '.' && !is_ident(static_cast<unsigned char>(base[p])))) {
            emit(token_kind::number, start, p, 0);
            continue;
          }
          if (base[p] == '.') {  // 12.50: a fraction (then letters start a new token)
            p = scan_digits(base, p + 1, n);
            if (p == n || (base[p] != 'e' && base[p] != 'E')) {
              emit(token_kind::number, start, p, 0);
              continue;
            }
          }
          break;
        }
        case fast_quote: {
          p = scan_to_quote_or_backslash(base, p + 1, n, static_cast<char>(c));
          if (p < n && base[p] == static_cast<char>(c) && !(p + 1 < n && base[p + 1] == base[p])) {
            emit(token_kind::string, start, p + 1, 0);
            continue;
          }
          break;
        }
        case fast_backquote: {
          ++p;
          while (p < n && base[p] != '`') ++p;
          if (p < n && !(p + 1 < n && base[p + 1] == '`')) {
            emit(token_kind::quoted_identifier, start, p + 1, 0);
            continue;
          }
          break;
        }
        case fast_lparen:
          emit(token_kind::lparen, start, p + 1, 0);
          continue;
        case fast_rparen:
          emit(token_kind::rparen, start, p + 1, 0);
          continue;
        case fast_comma:
          emit(token_kind::comma, start, p + 1, 0);
          continue;
        case fast_equals:
          emit(token_kind::op, start, p + 1, operator_id("="));
          continue;
        default:
          break;
      }
      p = start;
    }
    pos_ = p;
    if (!out.empty() && out.back().offset + out.back().length == p) {
      last_ = out.back().kind;
      last_end_ = p;
    }
    const token t = next();
    p = pos_;
    switch (t.kind) {
      case token_kind::hint:
        result.last_hint = t;
        continue;
      case token_kind::error:
        result.error = true;
        [[fallthrough]];
      case token_kind::end:
        result.stop = t;
        result.executable_comments = saw_executable_comment_;
        return result;
      default:
        out.push_back(t);
    }
  }
}

bool string_value(std::string_view text, std::string& out, bool no_backslash_escapes) {
  std::size_t i = 0;
  if (!text.empty() && text[0] == '_') {
    while (i < text.size() && text[i] != '\'' && text[i] != '"') ++i;
  } else if (!text.empty() && (text[0] == 'N' || text[0] == 'n')) {
    i = 1;
  }
  if (i >= text.size() || (text[i] != '\'' && text[i] != '"') || text.size() - i < 2 ||
      text.back() != text[i])
    return false;
  const char quote = text[i];
  const std::string_view body = text.substr(i + 1, text.size() - i - 2);
  // Fast path: nothing to unescape (no quote, no backslash; one pass, 8 bytes at a time).
  if (scan_to_quote_or_backslash(body.data(), 0, body.size(), quote) == body.size()) {
    out.append(body);
    return true;
  }
  for (std::size_t k = 0; k < body.size(); ++k) {
    const char c = body[k];
    if (c == '\\' && !no_backslash_escapes && k + 1 < body.size()) {
      const char e = body[++k];
      switch (e) {
        case '0':
          out += '\0';
          break;
        case 'b':
          out += '\b';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'Z':
          out += '\x1a';
          break;
        case '%':
        case '_':
          out += '\\';
          out += e;
          break;
        default:
          out += e;
          break;
      }
    } else if (c == quote && k + 1 < body.size() && body[k + 1] == quote) {
      out += quote;
      ++k;
    } else {
      out += c;
    }
  }
  return true;
}

std::string identifier_value(std::string_view text) {
  if (text.size() >= 2 && text.front() == '`' && text.back() == '`') {
    std::string out;
    const std::string_view body = text.substr(1, text.size() - 2);
    for (std::size_t k = 0; k < body.size(); ++k) {
      out += body[k];
      if (body[k] == '`' && k + 1 < body.size() && body[k + 1] == '`') ++k;
    }
    return out;
  }
  return std::string(text);
}

}  // namespace shardgate::sql
