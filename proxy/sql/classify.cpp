#include "sql/classify.hpp"

#include "sql/lexer.hpp"

namespace shardgate::sql {

const char* statement_kind_name(statement_kind k) noexcept {
  switch (k) {
    case statement_kind::empty:
      return "empty";
    case statement_kind::select:
      return "select";
    case statement_kind::insert:
      return "insert";
    case statement_kind::replace:
      return "replace";
    case statement_kind::update:
      return "update";
    case statement_kind::delete_:
      return "delete";
    case statement_kind::transaction:
      return "transaction";
    case statement_kind::set:
      return "set";
    case statement_kind::use:
      return "use";
    case statement_kind::show:
      return "show";
    case statement_kind::ddl:
      return "ddl";
    case statement_kind::call:
      return "call";
    case statement_kind::other:
      return "other";
  }
  return "?";
}

namespace {

struct keyword_kind {
  std::string_view keyword;
  statement_kind kind;
};

constexpr keyword_kind leading_keywords[] = {
    {"SELECT", statement_kind::select},
    {"WITH", statement_kind::select},
    {"TABLE", statement_kind::select},
    {"VALUES", statement_kind::select},
    {"INSERT", statement_kind::insert},
    {"REPLACE", statement_kind::replace},
    {"UPDATE", statement_kind::update},
    {"DELETE", statement_kind::delete_},
    {"BEGIN", statement_kind::transaction},
    {"START", statement_kind::transaction},
    {"COMMIT", statement_kind::transaction},
    {"ROLLBACK", statement_kind::transaction},
    {"SAVEPOINT", statement_kind::transaction},
    {"RELEASE", statement_kind::transaction},
    {"XA", statement_kind::transaction},
    {"SET", statement_kind::set},
    {"USE", statement_kind::use},
    {"SHOW", statement_kind::show},
    {"DESCRIBE", statement_kind::show},
    {"DESC", statement_kind::show},
    {"EXPLAIN", statement_kind::show},
    {"CREATE", statement_kind::ddl},
    {"ALTER", statement_kind::ddl},
    {"DROP", statement_kind::ddl},
    {"TRUNCATE", statement_kind::ddl},
    {"RENAME", statement_kind::ddl},
    {"CALL", statement_kind::call},
};

}  // namespace

statement_kind kind_of_leading_word(std::string_view word) noexcept {
  for (const auto& k : leading_keywords)
    if (is_keyword(word, k.keyword)) return k.kind;
  return statement_kind::other;
}

classification classify(std::string_view sql) noexcept {
  classification result;
  lexer lx(sql);
  bool have_kind = false;
  bool after_semicolon = false;
  for (token t = lx.next(); t.kind != token_kind::end; t = lx.next()) {
    if (t.kind == token_kind::error) {
      result.readable = false;
      if (!have_kind) result.kind = statement_kind::other;
      return result;
    }
    if (t.kind == token_kind::hint) continue;
    if (t.kind == token_kind::semicolon) {
      after_semicolon = have_kind;
      continue;
    }
    if (after_semicolon) {
      result.multiple_statements = true;
      return result;
    }
    if (have_kind) continue;
    if (t.kind == token_kind::lparen) continue;  // (SELECT ...) UNION (SELECT ...)
    have_kind = true;
    result.kind = t.kind == token_kind::identifier ? kind_of_leading_word(t.text(sql))
                                                   : statement_kind::other;
  }
  return result;
}

}  // namespace shardgate::sql
