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

statement_kind kind_of_leading_word(std::string_view word) noexcept {
  return kind_of_keyword(keyword_of(word));
}

statement_kind kind_of_keyword(keyword word) noexcept {
  switch (word) {
    case keyword_id("SELECT"):
    case keyword_id("WITH"):
    case keyword_id("TABLE"):
    case keyword_id("VALUES"):
      return statement_kind::select;
    case keyword_id("INSERT"):
      return statement_kind::insert;
    case keyword_id("REPLACE"):
      return statement_kind::replace;
    case keyword_id("UPDATE"):
      return statement_kind::update;
    case keyword_id("DELETE"):
      return statement_kind::delete_;
    case keyword_id("BEGIN"):
    case keyword_id("START"):
    case keyword_id("COMMIT"):
    case keyword_id("ROLLBACK"):
    case keyword_id("SAVEPOINT"):
    case keyword_id("RELEASE"):
    case keyword_id("XA"):
      return statement_kind::transaction;
    case keyword_id("SET"):
      return statement_kind::set;
    case keyword_id("USE"):
      return statement_kind::use;
    case keyword_id("SHOW"):
    case keyword_id("DESCRIBE"):
    case keyword_id("DESC"):
    case keyword_id("EXPLAIN"):
      return statement_kind::show;
    case keyword_id("CREATE"):
    case keyword_id("ALTER"):
    case keyword_id("DROP"):
    case keyword_id("TRUNCATE"):
    case keyword_id("RENAME"):
      return statement_kind::ddl;
    case keyword_id("CALL"):
      return statement_kind::call;
    default:
      return statement_kind::other;
  }
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
