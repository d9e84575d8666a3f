// The statement parser (parser/parser.hpp): DDL statements and SHOW.
#include "routing/parser/parser.hpp"

namespace shardgate::routing::detail {

void parser::parse_ddl(std::uint32_t i) {
  const bool create = kw(i, "CREATE");
  const bool drop = kw(i, "DROP");
  const bool truncate = kw(i, "TRUNCATE");
  const bool rename = kw(i, "RENAME");
  ++i;
  if (truncate) {
    out_.ddl_object = "TABLE";
    if (kw(i, "TABLE")) ++i;
    parse_table_name(i, false);
    return;
  }
  if (rename) {
    out_.ddl_object = text(i);
    if (!kw(i, "TABLE") && !kw(i, "TABLES")) return;
    ++i;
    for (;;) {
      parse_table_name(i, false);
      if (!kw(i, "TO")) return fail("TO was expected in RENAME TABLE");
      ++i;
      parse_table_name(i, false);
      if (!is(i, token_kind::comma)) return;
      ++i;
    }
  }
  // Modifiers before the object word.
  while (kw(i, "OR") || kw(i, "REPLACE") || kw(i, "TEMPORARY") || kw(i, "ONLINE") ||
         kw(i, "OFFLINE") || kw(i, "IGNORE") || kw(i, "UNIQUE") || kw(i, "FULLTEXT") ||
         kw(i, "SPATIAL"))
    ++i;
  out_.ddl_object = text(i);
  if (kw(i, "TABLE")) {
    ++i;
    if (kw(i, "IF")) i += kw(i + 1, "NOT") ? 3 : 2;
    for (;;) {
      parse_table_name(i, false);
      if (!out_.readable) return;
      if (!drop || !is(i, token_kind::comma)) break;
      ++i;
    }
    // ALTER TABLE t EXCHANGE PARTITION p WITH TABLE t2: both tables.
    if (!create && !drop) {
      for (std::uint32_t j = i; j + 2 < n_ && !at_end(j); ++j) {
        if (kw(j, "WITH") && kw(j + 1, "TABLE")) {
          std::uint32_t k = j + 2;
          parse_table_name(k, false);
          break;
        }
      }
    }
    if (create) {
      if (kw(i, "LIKE")) {
        ++i;
        parse_table_name(i, true);
      } else if (is(i, token_kind::lparen) && kw(i + 1, "LIKE")) {
        std::uint32_t j = i + 2;
        parse_table_name(j, true);
      } else {
        // CREATE TABLE ... [AS] SELECT / (SELECT ...) / WITH ... / TABLE t: the query's
        // tables. (WITH SYSTEM VERSIONING is a MariaDB table option.)
        for (std::uint32_t j = i; j < n_; ++j) {
          if (kw(j, "SELECT") || (kw(j, "WITH") && !kw(j + 1, "SYSTEM")) ||
              (kw(j, "TABLE") && is_name(j + 1)) ||
              (is(j, token_kind::lparen) && starts_query(j))) {
            std::uint32_t k = j;
            parse_query(k, true);
            break;
          }
          if (is(j, token_kind::lparen)) j = partner(j);
        }
      }
    }
    return;
  }
  if (kw(i, "INDEX") || kw(i, "KEY")) {
    // CREATE INDEX name [USING ...] ON tbl / DROP INDEX name ON tbl
    while (!at_end(i) && !kw(i, "ON")) ++i;
    if (kw(i, "ON")) {
      ++i;
      parse_table_name(i, false);
    }
    return;
  }
  if (kw(i, "DATABASE") || kw(i, "SCHEMA")) {
    ++i;
    if (kw(i, "IF")) i += kw(i + 1, "NOT") ? 3 : 2;
    if (is_name(i)) out_.ddl_database = identifier_lower(text(i));
    return;
  }
  // Views, triggers, routines, events, sequences, ...: whatever sharded table they name.
  mark_all_sharded_names(i);
}

void parser::parse_show(std::uint32_t i) {
  if (kw(i, "EXPLAIN") || kw(i, "DESCRIBE") || kw(i, "DESC")) {
    ++i;
    while (kw(i, "EXTENDED") || kw(i, "PARTITIONS") || kw(i, "ANALYZE") ||
           (kw(i, "FORMAT") && op(i + 1, "=")))
      i += kw(i, "FORMAT") ? 3 : 1;
    // The explained statement's kind, from its leading keyword (after any '(').
    std::uint32_t lead = i;
    while (is(lead, token_kind::lparen)) ++lead;
    const sql::statement_kind inner = is(lead, token_kind::identifier)
                                          ? sql::kind_of_keyword(tok(lead).code)
                                          : statement_kind::other;
    if (inner == statement_kind::select || inner == statement_kind::insert ||
        inner == statement_kind::replace || inner == statement_kind::update ||
        inner == statement_kind::delete_) {
      out_.explained = inner;
      std::uint32_t j = i;
      if (inner == statement_kind::select) {
        parse_query(j, false);
      } else if (inner == statement_kind::update) {
        parse_update(j + 1);
      } else if (inner == statement_kind::delete_) {
        parse_delete(j + 1);
      } else {
        parse_insert(j + 1);
      }
      return;
    }
    if (is_name(i)) parse_table_name(i, false);  // DESCRIBE t
    return;
  }
  // SHOW CREATE TABLE t, SHOW COLUMNS / INDEX / KEYS FROM t [FROM db], SHOW TRIGGERS ...
  for (; !at_end(i); ++i) {
    if (is(i, token_kind::lparen) && starts_query(i)) {  // SHOW ... WHERE x IN (SELECT ...)
      std::uint32_t j = i;
      skip_paren(j, true, false);
      i = j - 1;
      continue;
    }
    if ((kw(i, "TABLE") && kw(i - 1, "CREATE")) ||
        ((kw(i, "FROM") || kw(i, "IN")) &&
         (kw(i - 1, "COLUMNS") || kw(i - 1, "FIELDS") || kw(i - 1, "INDEX") ||
          kw(i - 1, "INDEXES") || kw(i - 1, "KEYS")))) {
      std::uint32_t j = i + 1;
      if (is_name(j)) parse_table_name(j, false);
      return;
    }
  }
}

}  // namespace shardgate::routing::detail
