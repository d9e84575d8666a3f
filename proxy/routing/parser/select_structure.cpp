// The statement parser (parser/parser.hpp): query structure - SELECT bodies, set operations,
// table references and joins, expressions skipped for the subqueries and constructs inside.
#include "routing/parser/parser.hpp"

namespace shardgate::routing::detail {

void parser::parse_query(std::uint32_t& i, bool nested) {
  if (kw(i, "WITH")) {
    ++i;
    if (kw(i, "RECURSIVE")) ++i;
    for (;;) {
      if (!is_name(i)) return fail("a CTE name was expected after WITH");
      cte_names_.push_back(identifier_lower(text(i)));
      ++i;
      if (is(i, token_kind::lparen)) i = partner(i) + 1;  // column list
      if (!kw(i, "AS")) return fail("AS was expected in a CTE");
      ++i;
      if (!is(i, token_kind::lparen)) return fail("a parenthesised query was expected in a CTE");
      const std::uint32_t close = partner(i);
      std::uint32_t j = i + 1;
      parse_query(j, true);
      if (j != close) return fail("unexpected text in a CTE");
      i = close + 1;
      if (!is(i, token_kind::comma)) break;
      ++i;
    }
    // A CTE is evaluated on each shard with that shard's rows: never a plain concatenation.
    block("a WITH clause", nested);
  }
  parse_query_term(i, nested);
  while (kw(i, "UNION") || kw(i, "EXCEPT") || kw(i, "INTERSECT")) {
    block("UNION / EXCEPT / INTERSECT", nested);
    if (!nested) out_.select.simple = false;
    ++i;
    if (kw(i, "ALL") || kw(i, "DISTINCT")) ++i;
    parse_query_term(i, true);
  }
  skip_order_or_limit(i, nested);
}

void parser::parse_query_term(std::uint32_t& i, bool nested) {
  if (is(i, token_kind::lparen)) {
    const std::uint32_t close = partner(i);
    std::uint32_t j = i + 1;
    parse_query(j, nested);
    if (j != close) return fail("unexpected text in a parenthesised query");
    i = close + 1;
    return;
  }
  if (kw(i, "SELECT")) return parse_select_body(i, nested);
  if (kw(i, "TABLE")) {  // TABLE t  ==  SELECT * FROM t
    ++i;
    parse_table_name(i, nested);
    return;
  }
  if (kw(i, "VALUES")) {
    ++i;
    skip_expr(i, nested);
    return;
  }
  fail("a query was expected");
}

void parser::parse_select_body(std::uint32_t& i, bool nested) {
  // The statement's own SELECT (token 0): record where its clauses are.
  select_shape* shape = !nested && i == 0 ? &out_.select : nullptr;
  if (shape) shape->simple = true;
  ++i;  // SELECT
  for (;;) {
    if (kw(i, "DISTINCT") || kw(i, "DISTINCTROW")) {
      mergeable("DISTINCT", nested);
      if (shape) shape->distinct = true;
      ++i;
    } else if (kw(i, "SQL_CALC_FOUND_ROWS")) {
      block("SQL_CALC_FOUND_ROWS", nested);
      ++i;
    } else if (kw(i, "ALL") || kw(i, "HIGH_PRIORITY") || kw(i, "STRAIGHT_JOIN") ||
               kw(i, "SQL_SMALL_RESULT") || kw(i, "SQL_BIG_RESULT") || kw(i, "SQL_BUFFER_RESULT") ||
               kw(i, "SQL_NO_CACHE") || kw(i, "SQL_CACHE")) {
      ++i;
    } else {
      break;
    }
  }
  if (shape) shape->list_begin = i;
  skip_expr(i, nested, true);  // the select list
  if (shape) shape->list_end = shape->body_begin = i;
  if (kw(i, "INTO")) {
    block("SELECT ... INTO", nested);
    ++i;
    skip_expr(i, nested);
  }
  if (kw(i, "FROM")) {
    ++i;
    if (kw(i, "DUAL")) {
      ++i;
    } else {
      parse_table_references(i, nested);
    }
  }
  if (kw(i, "WHERE")) {
    ++i;
    const std::uint32_t begin = i;
    skip_expr(i, nested);
    if (!nested && !has_where_) {
      has_where_ = true;
      where_begin_ = begin;
      where_end_ = i;
    }
  }
  if (shape) shape->body_end = i;
  if (kw(i, "GROUP")) {
    if (!kw(i + 1, "BY")) return fail("GROUP without BY");
    mergeable("GROUP BY", nested);
    i += 2;
    if (shape) shape->group_begin = i;
    skip_expr(i, nested);
    if (shape) shape->group_end = i;
    if (kw(i, "WITH")) {  // WITH ROLLUP
      if (shape) shape->rollup = true;
      i += 2;
    }
  }
  if (kw(i, "HAVING")) {
    mergeable("HAVING", nested);
    ++i;
    if (shape) shape->having_begin = i;
    skip_expr(i, nested);
    if (shape) shape->having_end = i;
  }
  if (kw(i, "WINDOW")) {
    block("a window function", nested);
    ++i;
    skip_expr(i, nested);
  }
  skip_order_or_limit(i, nested, shape);
  if (shape) shape->tail_begin = i;
  if (kw(i, "INTO")) {
    block("SELECT ... INTO", nested);
    ++i;
    skip_expr(i, nested);
  }
  // Locking clauses are fine on every shard.
  if (kw(i, "FOR") && kw(i + 1, "UPDATE")) {
    i += 2;
    if (kw(i, "OF")) {
      ++i;
      skip_expr(i, nested);
    }
    if (kw(i, "NOWAIT")) ++i;
    if (kw(i, "SKIP")) i += 2;
    if (kw(i, "WAIT")) i += 2;
  } else if (kw(i, "FOR") && kw(i + 1, "SHARE")) {
    i += 2;
  } else if (kw(i, "LOCK") && kw(i + 1, "IN")) {
    i += 4;  // LOCK IN SHARE MODE
  }
}

void parser::skip_order_or_limit(std::uint32_t& i, bool nested, select_shape* shape) {
  if (kw(i, "ORDER") && kw(i + 1, "BY")) {
    mergeable("ORDER BY", nested);
    i += 2;
    if (shape) shape->order_begin = i;
    skip_expr(i, nested);
    if (shape) shape->order_end = i;
  }
  if (kw(i, "LIMIT")) {
    mergeable("LIMIT", nested);
    ++i;
    if (shape) shape->limit_begin = i;
    skip_expr(i, nested);
    if (kw(i, "OFFSET")) {
      ++i;
      skip_expr(i, nested);
    }
    if (shape) shape->limit_end = i;
  }
  if (kw(i, "OFFSET") || kw(i, "FETCH")) {
    block("OFFSET / FETCH", nested);
    while (!at_end(i) && !is(i, token_kind::rparen) && !kw(i, "FOR") && !kw(i, "LOCK") &&
           !kw(i, "INTO"))
      ++i;
  }
}

void parser::parse_table_references(std::uint32_t& i, bool nested) {
  const auto first_ref = static_cast<std::uint32_t>(out_.tables.size());
  for (;;) {
    parse_table_factor(i, nested);
    if (!out_.readable) return;
    for (;;) {
      // [NATURAL] [INNER | CROSS | LEFT [OUTER] | RIGHT [OUTER] | FULL [OUTER]] JOIN, STRAIGHT_JOIN
      std::uint32_t j = i;
      if (kw(j, "NATURAL")) ++j;
      if (kw(j, "INNER") || kw(j, "CROSS")) {
        ++j;
      } else if (kw(j, "LEFT") || kw(j, "RIGHT") || kw(j, "FULL")) {
        ++j;
        if (kw(j, "OUTER")) ++j;
      }
      if (!kw(j, "JOIN") && !kw(j, "STRAIGHT_JOIN")) break;
      i = j + 1;
      const auto right_ref = static_cast<std::uint32_t>(out_.tables.size());
      parse_table_factor(i, nested);
      if (!out_.readable) return;
      if (kw(i, "ON")) {
        ++i;
        const std::uint32_t begin = i;
        skip_expr(i, nested, false, true);
        if (!nested) on_ranges_.emplace_back(begin, i);
      } else if (kw(i, "USING")) {
        ++i;
        if (!is(i, token_kind::lparen)) return fail("USING needs a column list");
        if (!nested) using_joins(first_ref, right_ref, i + 1, partner(i));
        i = partner(i) + 1;
      }
    }
    if (!is(i, token_kind::comma)) return;
    ++i;
  }
}

// JOIN ... USING (cols): a column that is the shard key of a table on the right and of a
// table on the left equates their keys (left.k = right.k), as an ON clause would.
void parser::using_joins(std::uint32_t left_begin, std::uint32_t right_begin, std::uint32_t b,
                         std::uint32_t e) {
  const auto right_end = static_cast<std::uint32_t>(out_.tables.size());
  for (std::uint32_t c = b; c < e; ++c) {
    if (!is_name(c)) continue;
    const std::string col = identifier_lower(text(c));
    for (std::uint32_t r = right_begin; r < right_end; ++r) {
      const table_ref& rt = out_.tables[r];
      if (!rt.table || rt.nested || rt.table->shard_key != col) continue;
      for (std::uint32_t l = left_begin; l < right_begin; ++l) {
        const table_ref& lt = out_.tables[l];
        if (!lt.table || lt.nested || lt.table->shard_key != col) continue;
        out_.key_joins.emplace_back(static_cast<std::uint16_t>(l), static_cast<std::uint16_t>(r));
      }
    }
  }
}

void parser::parse_table_factor(std::uint32_t& i, bool nested) {
  if (kw(i, "LATERAL")) ++i;
  if (is(i, token_kind::lparen)) {
    const std::uint32_t close = partner(i);
    std::uint32_t j = i + 1;
    if (starts_query(j)) {
      // A derived table: a query of its own, evaluated per shard.
      parse_query(j, true);
      block("a derived table", nested);
    } else {
      parse_table_references(j, nested);
    }
    if (j != close) return fail("unexpected text in a parenthesised table reference");
    i = close + 1;
    if (kw(i, "AS")) ++i;
    if (is_name(i) && !(flags_of(tok(i)) & w_table_stop)) ++i;
    if (is(i, token_kind::lparen)) i = partner(i) + 1;  // column aliases
    return;
  }
  if (kw(i, "JSON_TABLE") && is(i + 1, token_kind::lparen)) {
    std::uint32_t j = i + 1;
    skip_paren(j, nested, false);
    i = j;
    if (kw(i, "AS")) ++i;
    if (is_name(i) && !(flags_of(tok(i)) & w_table_stop)) ++i;
    return;
  }
  const std::uint32_t ref = parse_table_name(i, nested);
  if (!out_.readable) return;
  if (kw(i, "PARTITION") && is(i + 1, token_kind::lparen)) i = partner(i + 1) + 1;
  if (kw(i, "FOR") && kw(i + 1, "SYSTEM_TIME")) {  // MariaDB system-versioned tables
    i += 2;
    skip_expr(i, nested, false, true);
  }
  parse_alias(i, ref);
  skip_index_hints(i);
}

// [schema.]table; adds a table_ref and returns its index.
std::uint32_t parser::parse_table_name(std::uint32_t& i, bool nested) {
  if (!is_name(i)) {
    fail("a table name was expected");
    return 0;
  }
  table_ref ref;
  std::string first = identifier_lower(text(i));
  ++i;
  if (is(i, token_kind::dot) && is_name(i + 1)) {
    ref.schema = std::move(first);
    ref.name = identifier_lower(text(i + 1));
    i += 2;
  } else {
    ref.name = std::move(first);
  }
  // A CTE name is not a table.
  const bool is_cte = ref.schema.empty() &&
                      std::find(cte_names_.begin(), cte_names_.end(), ref.name) != cte_names_.end();
  ref.nested = nested;
  if (!is_cte) {
    ref.schema_config = ref.schema.empty() ? current_schema_ : cfg_.find_schema(ref.schema);
    if (ref.schema_config) ref.table = ref.schema_config->find_table(ref.name);
  } else {
    ref.name.clear();  // keeps indexes stable; ignored by the router
  }
  out_.tables.push_back(std::move(ref));
  return static_cast<std::uint32_t>(out_.tables.size() - 1);
}

void parser::parse_alias(std::uint32_t& i, std::uint32_t ref) {
  if (kw(i, "AS")) {
    ++i;
    if (is_name(i) || is(i, token_kind::string)) {
      if (is(i, token_kind::string)) out_.literal_value_read = true;  // AS 'alias'
      out_.tables[ref].alias = identifier_lower(text(i));
      ++i;
    }
    return;
  }
  if (is_name(i) && !(flags_of(tok(i)) & w_table_stop)) {
    out_.tables[ref].alias = identifier_lower(text(i));
    ++i;
  }
}

void parser::skip_index_hints(std::uint32_t& i) {
  while ((kw(i, "USE") || kw(i, "IGNORE") || kw(i, "FORCE")) &&
         (kw(i + 1, "INDEX") || kw(i + 1, "KEY"))) {
    i += 2;
    if (kw(i, "FOR")) {
      ++i;
      if (kw(i, "JOIN")) {
        ++i;
      } else {
        i += 2;  // ORDER BY / GROUP BY
      }
    }
    if (is(i, token_kind::lparen)) i = partner(i) + 1;
  }
}

void parser::skip_paren(std::uint32_t& i, bool nested, bool in_select_list) {
  const std::uint32_t close = partner(i);
  std::uint32_t j = i + 1;
  if (starts_query(j)) {
    parse_query(j, true);
    if (j != close) fail("unexpected text in a subquery");
  } else {
    while (j < close && out_.readable) {
      skip_expr(j, nested, in_select_list);
      if (j < close) ++j;  // a ',' or clause word inside a function call (EXTRACT(x FROM y))
    }
  }
  i = close + 1;
}

void parser::skip_expr(std::uint32_t& i, bool nested, bool in_select_list, bool stop_at_comma) {
  while (!at_end(i) && out_.readable) {
    const token& t = tok(i);
    if (t.kind == token_kind::rparen || (stop_at_comma && t.kind == token_kind::comma)) return;
    if (t.kind == token_kind::lparen) {
      skip_paren(i, nested, in_select_list);
      continue;
    }
    if (t.kind == token_kind::identifier && t.code != 0) {
      const std::uint8_t f = word_flags[t.code];
      const bool call = is(i + 1, token_kind::lparen) &&
                        (kw(i, "LEFT") || kw(i, "RIGHT") || kw(i, "VALUES") || kw(i, "INSERT"));
      if (!call && (f & w_clause)) return;
      if (kw(i, "OVER")) {
        block("a window function", nested);
      } else if (is(i + 1, token_kind::lparen)) {
        if (f & w_aggregate)
          mergeable("an aggregate function", nested);
        else if (f & w_session)
          block("a per-connection function", nested);
      }
    } else if (op(i, ":=")) {
      block("a variable assignment", nested);
    }
    (void)in_select_list;
    ++i;
  }
}

}  // namespace shardgate::routing::detail
