// Statement classification for routing: what kind of statement a text is, from its
// leading keywords (after comments, hints and opening parentheses), and whether the text
// holds more than one statement.
#pragma once

#include <cstdint>
#include <string_view>

#include "sql/keywords.hpp"

namespace shardgate::sql {

enum class statement_kind : std::uint8_t {
  empty,   // nothing but white space / comments
  select,  // SELECT, WITH ... SELECT, (SELECT ...), TABLE, VALUES
  insert,
  replace,
  update,
  delete_,
  transaction,  // BEGIN, START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, XA
  set,
  use,
  show,  // SHOW, DESCRIBE / DESC, EXPLAIN
  ddl,   // CREATE, ALTER, DROP, TRUNCATE, RENAME
  call,
  other,  // DO, LOCK, UNLOCK, PREPARE, EXECUTE, LOAD, GRANT, ANALYZE, ... and unreadable text
};

const char* statement_kind_name(statement_kind k) noexcept;

struct classification {
  statement_kind kind = statement_kind::empty;
  bool multiple_statements = false;  // a `;` outside strings/comments is followed by more SQL
  bool readable = true;              // false if the lexer met text it cannot read
};

classification classify(std::string_view sql) noexcept;

// The statement kind a leading keyword (SELECT, INSERT, ...) stands for.
statement_kind kind_of_leading_word(std::string_view word) noexcept;
// The same for a keyword id (sql::token::code of an identifier).
statement_kind kind_of_keyword(keyword word) noexcept;

}  // namespace shardgate::sql
