#include "sql/fingerprint.hpp"

#include <algorithm>
#include <array>

#include "routing/hashing.hpp"
#include "sql/lexer.hpp"

namespace shardgate::sql {

namespace {

// Reserved words (and a few statement words) the routing keywords (sql/keywords.hpp) do not
// list, upper-cased too. Words often used as column names (status, user, year, level...)
// are left out: they stay as written.
constexpr std::string_view extra_keywords[] = {
    "ADD",          "AUTOCOMMIT",     "BEFORE",
    "BIGINT",       "BLOB",           "BOTH",
    "CASCADE",      "CAST",           "CHAIN",
    "CHANGE",       "CHAR",           "CHARACTER",
    "CHECK",        "COLUMN",         "COMMITTED",
    "CONSISTENT",   "CONSTRAINT",     "CONVERT",
    "CURRENT_DATE", "CURRENT_TIME",   "CURRENT_TIMESTAMP",
    "CURRENT_USER", "DATABASES",      "DEALLOCATE",
    "DECIMAL",      "DECLARE",        "DOUBLE",
    "EACH",         "ELSE",           "ELSEIF",
    "ENCLOSED",     "ESCAPED",        "FLOAT",
    "FOREIGN",      "FUNCTION",       "GLOBAL",
    "GRANT",        "INFILE",         "INT",
    "INTEGER",      "ISOLATION",      "KILL",
    "LEADING",      "LINES",          "LOAD",
    "LOCALTIME",    "LOCALTIMESTAMP", "LOCKED",
    "LONGBLOB",     "LONGTEXT",       "MATCH",
    "MEDIUMBLOB",   "MEDIUMINT",      "MEDIUMTEXT",
    "NAMES",        "NUMERIC",        "ONLY",
    "OPTIMIZE",     "OPTION",         "OPTIONALLY",
    "OUTFILE",      "PRECISION",      "PRIMARY",
    "PURGE",        "READ",           "REAL",
    "REFERENCES",   "REPEATABLE",     "RESTRICT",
    "RETURN",       "REVOKE",         "ROWS",
    "SEPARATOR",    "SERIALIZABLE",   "SESSION",
    "SIGNAL",       "SMALLINT",       "SNAPSHOT",
    "STARTING",     "STORED",         "TERMINATED",
    "THEN",         "TINYBLOB",       "TINYINT",
    "TINYTEXT",     "TRAILING",       "TRIGGER",
    "UNCOMMITTED",  "UNLOCK",         "UNSIGNED",
    "UTC_DATE",     "UTC_TIME",       "UTC_TIMESTAMP",
    "VARBINARY",    "VARCHAR",        "VIRTUAL",
    "WHEN",         "WHILE",          "WORK",
    "WRITE",        "ZEROFILL"};
static_assert(std::is_sorted(std::begin(extra_keywords), std::end(extra_keywords)));

// Keywords after which a `-` is a sign (`BETWEEN -5 AND -1`, `LIMIT -1`, `THEN -1`): the
// routing keywords by id, and four of extra_keywords.
constexpr std::string_view sign_keyword_words[] = {
    "AND", "BETWEEN", "CASE", "DIV", "ESCAPE", "HAVING", "INTERVAL", "LIKE",  "LIMIT", "MOD",
    "NOT", "OFFSET",  "ON",   "OR",  "REGEXP", "RLIKE",  "SELECT",   "WHERE", "XOR"};
constexpr std::array<bool, keyword_count> make_sign_keywords() {
  std::array<bool, keyword_count> ids{};
  for (const std::string_view w : sign_keyword_words) {
    std::size_t k = 1;
    while (keyword_words[k] != w) ++k;  // past the end: not a constant expression
    ids[k] = true;
  }
  return ids;
}
constexpr std::array<bool, keyword_count> sign_keywords = make_sign_keywords();

// `word`: an identifier's text as word_text() gives it (extra keywords upper-cased).
bool sign_follows(token t, std::string_view word) {
  if (t.code != 0) return sign_keywords[t.code];
  return word == "THEN" || word == "ELSE" || word == "WHEN" || word == "RETURN";
}

// Which first and last letters extra_keywords have, by length: most names are refused
// before any case folding or search.
struct letter_masks {
  std::array<std::uint32_t, 25> first{};
  std::array<std::uint32_t, 25> last{};
};
constexpr letter_masks make_letter_masks() {
  letter_masks m;
  for (const std::string_view w : extra_keywords) {
    m.first[w.size()] |= 1u << (w.front() - 'A');
    m.last[w.size()] |= 1u << (w.back() - 'A');
  }
  return m;
}
constexpr letter_masks extra_letters = make_letter_masks();

// Character set introducers written apart from their string (`_binary 'x'`).
// (Upper case: is_keyword's form.)
constexpr std::string_view introducers[] = {"_ASCII", "_BINARY", "_LATIN1",  "_UTF16",
                                            "_UTF32", "_UTF8",   "_UTF8MB3", "_UTF8MB4"};

// The upper-case spelling of `word` when it is one of extra_keywords (else empty).
std::string_view extra_keyword(std::string_view word) {
  constexpr std::size_t longest = 24;
  if (word.size() < 2 || word.size() > longest) return {};
  const auto letter = [](char c) { return static_cast<unsigned>((c | 0x20) - 'a'); };
  const unsigned first = letter(word.front());
  const unsigned last = letter(word.back());
  if (first >= 26 || last >= 26 || !((extra_letters.first[word.size()] >> first) & 1) ||
      !((extra_letters.last[word.size()] >> last) & 1))
    return {};
  std::array<char, longest> upper{};
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return {};
    upper[i] = c;
  }
  const std::string_view folded(upper.data(), word.size());
  const auto* const it =
      std::lower_bound(std::begin(extra_keywords), std::end(extra_keywords), folded);
  return it != std::end(extra_keywords) && *it == folded ? *it : std::string_view{};
}

bool is_introducer(std::string_view word) {
  for (const std::string_view i : introducers)
    if (is_keyword(word, i)) return true;  // case-insensitive; `_` compares as itself
  return false;
}

bool is_literal(token_kind k) {
  return k == token_kind::number || k == token_kind::string || k == token_kind::hex_string ||
         k == token_kind::bit_string || k == token_kind::placeholder;
}

// One pass over the tokens. Parenthesised lists are held back while they contain only
// literals and commas (just counted, never written), so an IN list of any length costs no
// output; a list that turns out to be something else is written out then.
class fingerprinter {
 public:
  fingerprinter(std::string_view sql, std::string& out, bool no_backslash_escapes)
      : sql_(sql), out_(out), lexer_(sql, no_backslash_escapes) {}

  void run() {
    while (!truncated_) {
      token t = lexer_.next();
      switch (t.kind) {
        case token_kind::end:
          flush_held();  // an unclosed list or a trailing comma; trailing `;` are dropped
          return;
        case token_kind::hint:
          continue;
        case token_kind::error:
          flush_held();
          put_raw(sql_.substr(t.offset));
          return;
        default:
          consume(t);
      }
    }
  }

 private:
  enum class gap : std::uint8_t { space, none };
  enum class shape : std::uint8_t { literal, lparen, rparen, comma, other };

  void consume(token t) {
    shape s = shape::other;
    if (is_literal(t.kind)) {
      s = shape::literal;
    } else if (t.kind == token_kind::op && t.code == operator_id("-") && sign_expected_) {
      s = fold_sign(t);
    } else if (t.kind == token_kind::identifier && t.code == 0 && t.length > 1 &&
               sql_[t.offset] == '_' && is_introducer(t.text(sql_))) {
      s = fold_introducer(t);
    } else if (t.kind == token_kind::lparen) {
      s = shape::lparen;
    } else if (t.kind == token_kind::rparen) {
      s = shape::rparen;
    } else if (t.kind == token_kind::comma) {
      s = shape::comma;
    }
    const bool glued = prev_word_ && t.offset == prev_end_;
    // A name after `.` is never a keyword (o.date); a keyword is written upper-case.
    const std::string_view word =
        t.kind == token_kind::identifier && s == shape::other && !prev_dot_ ? word_text(t)
                                                                            : t.text(sql_);
    note_source(t, s, word);

    if (in_list_) {
      if (s == shape::literal && list_expect_item_) {
        ++list_items_;
        list_expect_item_ = false;
        return;
      }
      if (s == shape::comma && !list_expect_item_) {
        list_expect_item_ = true;
        return;
      }
      if (s == shape::rparen && !list_expect_item_) {
        close_list();
        return;
      }
      flush_list();
    }
    if (pending_comma_) {
      pending_comma_ = false;
      if (s == shape::lparen) {
        open_list(/*row=*/true, /*glued=*/false);
        return;
      }
      put(",", gap::none);
    }
    if (s == shape::lparen) {
      open_list(/*row=*/false, glued);
      return;
    }
    if (s == shape::comma && rows_) {
      pending_comma_ = true;
      return;
    }
    rows_ = false;
    switch (t.kind) {
      case token_kind::semicolon:
        ++pending_semicolons_;
        return;
      case token_kind::identifier:
        put(word, gap::space);
        return;
      case token_kind::rparen:
        put(")", gap::none);
        return;
      case token_kind::comma:
        put(",", gap::none);
        return;
      case token_kind::dot:
        put(".", gap::none, /*tight_after=*/true);
        return;
      default:
        put(s == shape::literal ? std::string_view("?") : t.text(sql_), gap::space);
        return;
    }
  }

  // `-` where an operand is expected: with a number after it, both are one literal.
  shape fold_sign(token& t) {
    lexer ahead = lexer_;
    const token u = ahead.next();
    if (u.kind != token_kind::number) return shape::other;
    lexer_ = ahead;
    t.length = u.offset + u.length - t.offset;
    t.kind = token_kind::number;
    return shape::literal;
  }

  // `_utf8mb4 'x'`: the introducer and its string are one literal.
  shape fold_introducer(token& t) {
    lexer ahead = lexer_;
    const token u = ahead.next();
    if (u.kind != token_kind::string && u.kind != token_kind::hex_string &&
        u.kind != token_kind::bit_string)
      return shape::other;
    lexer_ = ahead;
    t.length = u.offset + u.length - t.offset;
    t.kind = token_kind::string;
    return shape::literal;
  }

  // Where the source stands after `t`: whether a `-` would be a sign, whether a `(` would
  // follow a name directly.
  void note_source(token t, shape s, std::string_view word) {
    switch (t.kind) {
      case token_kind::op:
      case token_kind::lparen:
      case token_kind::comma:
      case token_kind::semicolon:
        sign_expected_ = true;
        break;
      case token_kind::identifier:
        sign_expected_ = s != shape::literal && !prev_dot_ && sign_follows(t, word);
        break;
      default:
        sign_expected_ = false;
    }
    prev_word_ = s == shape::other &&
                 (t.kind == token_kind::identifier || t.kind == token_kind::quoted_identifier);
    prev_dot_ = t.kind == token_kind::dot;
    prev_end_ = t.offset + t.length;
  }

  std::string_view word_text(token t) const {
    if (t.code != 0) return keyword_words[t.code];
    const std::string_view text = t.text(sql_);
    const std::string_view extra = extra_keyword(text);
    return extra.empty() ? text : extra;
  }

  void open_list(bool row, bool glued) {
    in_list_ = true;
    list_row_ = row;
    list_glued_ = glued;
    list_items_ = 0;
    list_expect_item_ = true;
  }

  void close_list() {
    in_list_ = false;
    if (!list_row_) {
      put("(?+)", list_glued_ ? gap::none : gap::space);
      ellipsis_ = false;
    } else if (!ellipsis_) {
      put(",...", gap::none);
      ellipsis_ = true;
    }
    rows_ = true;
  }

  // A held list that is not one: written as it came (its literals as `?`).
  void flush_list() {
    in_list_ = false;
    rows_ = false;
    if (list_row_) put(",", gap::none);
    put("(", list_glued_ ? gap::none : gap::space, /*tight_after=*/true);
    for (std::size_t i = 0; i < list_items_; ++i) {
      put("?", gap::space);
      if (i + 1 < list_items_ || list_expect_item_) put(",", gap::none);
    }
  }

  void flush_held() {
    if (in_list_) flush_list();
    if (pending_comma_) {
      pending_comma_ = false;
      rows_ = false;
      put(",", gap::none);
    }
  }

  // Appends `text` as one token (after any `;` still held), or cuts the output when it
  // would pass max_fingerprint_size.
  void put(std::string_view text, gap before, bool tight_after = false) {
    drain_semicolons();
    append(text, before);
    tight_ = tight_after;
  }

  // `;` between statements (the ones at the end are never written).
  void drain_semicolons() {
    if (pending_semicolons_ == 0) return;
    for (; pending_semicolons_ > 0; --pending_semicolons_) append(";", gap::none);
    tight_ = false;
  }

  void append(std::string_view text, gap before) {
    if (truncated_) return;
    const bool space = before == gap::space && !out_.empty() && !tight_;
    const std::size_t end = out_.size() + (space ? 1 : 0) + text.size();
    if (end > max_fingerprint_size - 3 && !cut_marked_) {
      cut_ = out_.size();  // the last token boundary that leaves room for "..."
      cut_marked_ = true;
    }
    if (end > max_fingerprint_size) {
      out_.resize(cut_);
      out_ += "...";
      truncated_ = true;
      return;
    }
    if (space) out_ += ' ';
    out_ += text;
  }

  // The unreadable rest of the statement, as it is (cut, if need be, on a UTF-8 boundary).
  void put_raw(std::string_view text) {
    drain_semicolons();
    if (truncated_ || text.empty()) return;
    const bool space = !out_.empty() && !tight_;
    const std::size_t start = out_.size() + (space ? 1 : 0);
    if (start + text.size() <= max_fingerprint_size) {
      if (space) out_ += ' ';
      out_ += text;
      return;
    }
    truncated_ = true;
    if (start + 3 > max_fingerprint_size) {
      if (cut_marked_) out_.resize(cut_);
      out_ += "...";
      return;
    }
    std::size_t keep = max_fingerprint_size - 3 - start;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
    if (space) out_ += ' ';
    out_.append(text.substr(0, keep));
    out_ += "...";
  }

  std::string_view sql_;
  std::string& out_;
  lexer lexer_;
  // The source
  bool sign_expected_ = true;  // a `-` here is a sign (statement start, after `(`, `,`, `=`...)
  bool prev_word_ = false;     // the last token was a name (not a literal)
  bool prev_dot_ = false;
  std::uint32_t prev_end_ = 0;
  // A parenthesised list held back
  bool in_list_ = false;
  bool list_row_ = false;    // it follows `(?+),` : one more row
  bool list_glued_ = false;  // its `(` follows a name directly
  bool list_expect_item_ = false;
  std::size_t list_items_ = 0;
  // Lists already written
  bool rows_ = false;           // the output ends with `(?+)` or `,...`
  bool ellipsis_ = false;       // ... and `,...` was written for these rows
  bool pending_comma_ = false;  // a `,` after rows_, held until we know whether a row follows
  std::size_t pending_semicolons_ = 0;  // dropped at the end of the statement
  // The output
  bool tight_ = true;  // no space before the next token (start, after `(` or `.`)
  bool cut_marked_ = false;
  std::size_t cut_ = 0;
  bool truncated_ = false;
};

}  // namespace

std::uint64_t fingerprint(std::string_view sql, std::string& out, bool no_backslash_escapes) {
  out.clear();
  out.reserve(std::min(max_fingerprint_size, sql.size() + sql.size() / 4 + 16));
  fingerprinter(sql, out, no_backslash_escapes).run();
  return routing::xxhash64(out);
}

}  // namespace shardgate::sql
