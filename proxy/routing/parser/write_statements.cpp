// The statement parser (parser/parser.hpp): INSERT, UPDATE, DELETE and SET-style assignments.
#include "routing/parser/parser.hpp"

namespace shardgate::routing::detail {

void parser::parse_assignments(std::uint32_t& i, bool nested) {
  bool saw_non_literal = false;
  for (;;) {
    // col = expr
    const std::uint32_t col_first = i;
    if (!is_name(i)) return fail("a column was expected in an assignment");
    while (is_name(i) && is(i + 1, token_kind::dot)) i += 2;
    if (!is_name(i)) return fail("a column was expected in an assignment");
    operand col;
    col.kind = operand::column;
    col.first = col_first;
    col.last = i;
    ++i;
    if (!op(i, "=") && !op(i, ":=")) return fail("= was expected in an assignment");
    ++i;
    const std::uint32_t value_begin = i;
    // The value runs to the next ',' at depth 0 or the end of the clause.
    while (!at_end(i) && !is(i, token_kind::comma) && !is(i, token_kind::rparen) &&
           !(is(i, token_kind::identifier) && (kw(i, "WHERE") || kw(i, "ORDER") || kw(i, "LIMIT") ||
                                               kw(i, "ON") || kw(i, "RETURNING")))) {
      if (is(i, token_kind::lparen)) {
        skip_paren(i, nested, false);
      } else {
        ++i;
      }
    }
    if (key_owner(col) >= 0) {
      out_.assigns_key = true;
      std::uint32_t j = value_begin;
      literal_ref lit;
      // A key assigned twice (SET k = 'a', k = 'b': the last one wins in MySQL) is only
      // read when both values are the same literal.
      if (out_.assigned_key_literal) out_.literal_value_read = true;  // compared below
      if (literal_at(j, i, lit) && j == i && !saw_non_literal &&
          (!out_.assigned_key_literal || (lit.negative == out_.assigned_key.negative &&
                                          text(lit.token) == text(out_.assigned_key.token)))) {
        if (!out_.assigned_key_literal) {
          out_.assigned_key_literal = true;
          out_.assigned_key = lit;
        }
      } else {
        saw_non_literal = true;
        out_.assigned_key_literal = false;
      }
    }
    if (!is(i, token_kind::comma)) break;
    ++i;
  }
}

void parser::parse_insert(std::uint32_t i) {
  while (kw(i, "LOW_PRIORITY") || kw(i, "DELAYED") || kw(i, "HIGH_PRIORITY") || kw(i, "IGNORE"))
    ++i;
  if (kw(i, "INTO")) ++i;
  const std::uint32_t ref = parse_table_name(i, false);
  if (!out_.readable) return;
  const config::table_config* table = out_.tables[ref].table;
  const std::uint32_t after_name = i;
  if (kw(i, "PARTITION") && is(i + 1, token_kind::lparen)) i = partner(i + 1) + 1;
  if (is(i, token_kind::lparen) && !starts_query(i)) {
    out_.insert_has_columns = true;
    const std::uint32_t close = partner(i);
    int position = 0;
    for (std::uint32_t j = i + 1; j < close; ++j) {
      if (is(j, token_kind::comma)) {
        ++position;
        continue;
      }
      // The last name of a (possibly qualified) column.
      if (is_name(j) && !is(j + 1, token_kind::dot) && table && !table->broadcast &&
          ident_equals(tok(j), sql_, table->shard_key))
        out_.key_column = position;
    }
    i = close + 1;
  }
  if (kw(i, "VALUES") || kw(i, "VALUE")) {
    out_.insert_values = true;
    ++i;
    out_.rows_start = tok(i).offset;
    while (is(i, token_kind::lparen)) {
      insert_row row;
      row.open = i;
      row.close = partner(i);
      // Find the key's value: the key_column'th comma-separated item.
      std::uint32_t j = i + 1;
      int position = 0;
      while (j < row.close && out_.readable) {
        const std::uint32_t begin = j;
        while (j < row.close && !is(j, token_kind::comma)) {
          if (is(j, token_kind::lparen)) {
            skip_paren(j, false, false);
          } else {
            ++j;
          }
        }
        if (position == out_.key_column) {
          std::uint32_t k = begin;
          literal_ref lit;
          row.key_is_literal = literal_at(k, j, lit) && k == j;
          if (row.key_is_literal) row.key = lit;
        }
        ++position;
        if (j < row.close) ++j;  // ','
      }
      out_.rows.push_back(row);
      i = row.close + 1;
      out_.rows_end = tok(i - 1).offset + 1;
      if (!is(i, token_kind::comma)) break;
      ++i;
    }
    if (out_.rows.empty()) return fail("VALUES without a row");
  } else if (kw(i, "SET")) {
    out_.insert_set = true;
    ++i;
    // The key's value: found as an assignment to the key column.
    parse_assignments(i, false);
    insert_row row;
    row.key_is_literal = out_.assigned_key_literal;
    row.key = out_.assigned_key;
    if (out_.assigns_key) out_.rows.push_back(row);
    out_.assigns_key = false;
    out_.assigned_key_literal = false;
    out_.assigned_key = {};
  } else if (starts_query(i)) {
    out_.insert_select = true;
    parse_query(i, true);
  } else {
    return fail("VALUES, SET or SELECT was expected");
  }
  // Rows or columns that only some server versions see: the rows cannot be told.
  if (table && !table->broadcast && conditional(after_name, i))
    return fail(
        "a version-conditional comment (/*!NNNNN ... */ or /*M! ... */) holds part of "
        "the INSERT's columns or rows");
  // [AS alias [(cols)]] [ON DUPLICATE KEY UPDATE assignments] [RETURNING ...]
  if (kw(i, "AS") && is_name(i + 1)) {
    i += 2;
    if (is(i, token_kind::lparen)) i = partner(i) + 1;
  }
  if (kw(i, "ON") && kw(i + 1, "DUPLICATE")) {
    i += 4;  // ON DUPLICATE KEY UPDATE
    parse_assignments(i, false);
  }
  parse_returning(i);
  if (!at_end(i)) fail("unexpected text at the end of the INSERT");
}

// UPDATE / DELETE: [WHERE ...] [ORDER BY ...] [LIMIT ...]
void parser::parse_write_tail(std::uint32_t& i) {
  if (kw(i, "WHERE")) {
    ++i;
    where_begin_ = i;
    skip_expr(i, false);
    where_end_ = i;
    has_where_ = true;
  }
  if (kw(i, "ORDER") || kw(i, "LIMIT")) {
    out_.order_or_limit = true;
    skip_order_or_limit(i, false);
  }
}

// MariaDB's INSERT / DELETE ... RETURNING: rows, so never a combined OK.
void parser::parse_returning(std::uint32_t& i) {
  if (!kw(i, "RETURNING")) return;
  block("RETURNING", false);
  ++i;
  skip_expr(i, false);
}

void parser::parse_update(std::uint32_t i) {
  while (kw(i, "LOW_PRIORITY") || kw(i, "IGNORE")) ++i;
  parse_table_references(i, false);
  if (!out_.readable) return;
  if (!kw(i, "SET")) return fail("SET was expected in the UPDATE");
  ++i;
  parse_assignments(i, false);
  parse_write_tail(i);
  if (!at_end(i)) fail("unexpected text at the end of the UPDATE");
}

void parser::parse_delete(std::uint32_t i) {
  while (kw(i, "LOW_PRIORITY") || kw(i, "QUICK") || kw(i, "IGNORE")) ++i;
  if (kw(i, "FROM")) {
    ++i;
    const std::size_t before = out_.tables.size();
    parse_table_references(i, false);
    if (kw(i, "USING")) {
      // DELETE FROM t1, t2 USING <references>: the first list names targets only.
      out_.tables.resize(before);
      on_ranges_.clear();
      ++i;
      parse_table_references(i, false);
    }
  } else {
    // DELETE t1, t2 FROM <references>
    while (!at_end(i) && !kw(i, "FROM")) ++i;
    if (!kw(i, "FROM")) return fail("FROM was expected in the DELETE");
    ++i;
    parse_table_references(i, false);
  }
  if (!out_.readable) return;
  parse_write_tail(i);
  parse_returning(i);
  if (!at_end(i)) fail("unexpected text at the end of the DELETE");
}

void parser::mark_all_sharded_names(std::uint32_t from) {
  // Any identifier naming a sharded table of the current schema, and any schema.table naming
  // one of a configured schema, counts as a (nested) use.
  auto mark = [&](const config::schema_config* schema, const config::table_config& t) {
    table_ref ref;
    ref.name = t.name;
    ref.schema_config = schema;
    ref.table = &t;
    ref.nested = true;
    out_.tables.push_back(std::move(ref));
  };
  for (std::uint32_t i = from; i < n_; ++i) {
    if (!is_name(i)) continue;
    if (is(i + 1, token_kind::dot) && is_name(i + 2)) {
      if (const auto* schema = cfg_.find_schema(identifier_lower(text(i)))) {
        for (const auto& t : schema->tables)
          if (ident_equals(tok(i + 2), sql_, t.name)) mark(schema, t);
      }
    }
    if (!current_schema_) continue;
    for (const auto& t : current_schema_->tables)
      if (ident_equals(tok(i), sql_, t.name)) mark(current_schema_, t);
  }
}

}  // namespace shardgate::routing::detail
