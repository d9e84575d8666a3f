#include "session/pinning.hpp"

#include <array>
#include <cstddef>

#include "sql/lexer.hpp"

namespace shardgate::session {

namespace {

bool ident_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

bool word_is(std::string_view word, std::string_view upper_keyword) {
  if (word.size() != upper_keyword.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (upper(word[i]) != upper_keyword[i]) return false;
  return true;
}

bool word_starts_with(std::string_view word, std::string_view upper_prefix) {
  return word.size() >= upper_prefix.size() &&
         word_is(word.substr(0, upper_prefix.size()), upper_prefix);
}

constexpr std::array<std::string_view, 12> pinning_words = {
    "PREPARE",    "EXECUTE",   "DEALLOCATE", "LOCK", "GET_LOCK", "TEMPORARY", "SQL_CALC_FOUND_ROWS",
    "FOUND_ROWS", "ROW_COUNT", "HANDLER",    "XA",   "WARNINGS"};

}  // namespace

bool statement_pins_session(std::string_view sql) noexcept {
  const std::size_t n = sql.size();
  std::size_t i = 0;
  bool first_word_is_set = false;
  bool seen_word = false;
  while (i < n) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {  // string or quoted identifier
      const char q = c;
      ++i;
      while (i < n) {
        if (sql[i] == '\\' && q != '`') {
          i += 2;
        } else if (sql[i] == q) {
          if (i + 1 < n && sql[i + 1] == q) {
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
      continue;
    }
    if (c == '#' || (c == '-' && i + 1 < n && sql[i + 1] == '-' &&
                     (i + 2 == n || static_cast<unsigned char>(sql[i + 2]) <= ' '))) {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      // Executable comments /*! ... */ and /*M! ... */ hold SQL: scan their content.
      if (i + 2 < n &&
          (sql[i + 2] == '!' || (sql[i + 2] == 'M' && i + 3 < n && sql[i + 3] == '!'))) {
        i += sql[i + 2] == '!' ? 3 : 4;
        while (i < n && sql[i] >= '0' && sql[i] <= '9') ++i;  // version number
        continue;
      }
      std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      continue;
    }
    if (c == '*' && i + 1 < n && sql[i + 1] == '/') {  // end of an executable comment
      i += 2;
      continue;
    }
    if (c == '@') {
      if (i + 1 < n && sql[i + 1] == '@') {  // system variable: @@name, @@session.name
        i += 2;
        std::size_t start = i;
        while (i < n && (ident_char(static_cast<unsigned char>(sql[i])) || sql[i] == '.')) ++i;
        std::string_view name = sql.substr(start, i - start);
        if (auto dot = name.find('.'); dot != std::string_view::npos) name = name.substr(dot + 1);
        // ShardGate learns session changes through the session tracker: changing it pins.
        if (word_starts_with(name, "SESSION_TRACK")) return true;
        continue;
      }
      return true;  // user variable
    }
    if (c == ';') {  // the next statement of a multi-statement query
      seen_word = false;
      first_word_is_set = false;
      ++i;
      continue;
    }
    if (ident_char(static_cast<unsigned char>(c))) {
      const std::size_t start = i;
      while (i < n && ident_char(static_cast<unsigned char>(sql[i]))) ++i;
      const std::string_view word = sql.substr(start, i - start);
      if (!seen_word) {
        seen_word = true;
        first_word_is_set = word_is(word, "SET");
      }
      for (auto kw : pinning_words)
        if (word_is(word, kw)) return true;
      if (word_starts_with(word, "SESSION_TRACK")) return true;
      // SET TRANSACTION ... applies to the next transaction of this connection only.
      if (first_word_is_set && word_is(word, "TRANSACTION")) return true;
      continue;
    }
    ++i;
  }
  return false;
}

bool starts_sql_prepared_command(std::string_view sql) noexcept {
  sql::lexer lex(sql);
  sql::token first = lex.next();
  while (first.kind == sql::token_kind::hint) first = lex.next();
  if (first.kind != sql::token_kind::identifier) return false;
  const std::string_view w = first.text(sql);
  if (sql::is_keyword(w, "PREPARE") || sql::is_keyword(w, "EXECUTE")) return true;
  if (!sql::is_keyword(w, "DEALLOCATE") && !sql::is_keyword(w, "DROP")) return false;
  const sql::token second = lex.next();
  return second.kind == sql::token_kind::identifier && sql::is_keyword(second.text(sql), "PREPARE");
}

}  // namespace shardgate::session
