// For checking routing/parse_cache.hpp: a statement of the same shape with other literal
// values (other lengths too), and whether two parses agree in every field the router reads.
// Shared by the parse-cache tests, the router harness and the routing fuzz target.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "routing/statement_parser.hpp"
#include "sql/lexer.hpp"

namespace shardgate::routing::test_shapes {

// `sql` with every number replaced by 4242, every string's contents by "zq" (introducer
// and quotes kept), hex strings by X'0A0B', bit strings by b'101'. Empty when the lexer
// stops on an error (nothing to vary).
inline std::string with_other_literals(std::string_view sql, bool no_backslash_escapes) {
  std::vector<sql::token> tokens;
  sql::lexer lx(sql, no_backslash_escapes);
  const sql::tokenize_result r = lx.tokenize(tokens);
  if (r.error) return {};
  std::string out;
  std::size_t at = 0;
  for (const sql::token& t : tokens) {
    out.append(sql.substr(at, t.offset - at));
    const std::string_view text = t.text(sql);
    switch (t.kind) {
      case sql::token_kind::number:
        out += "4242";
        break;
      case sql::token_kind::string: {
        const std::size_t q = text.find_first_of("'\"");
        out.append(text.substr(0, q + 1));
        out += "zq";
        out += text[q];
        break;
      }
      case sql::token_kind::hex_string:
        out += text[0];
        out += "'0A0B'";
        break;
      case sql::token_kind::bit_string:
        out += text[0];
        out += "'101'";
        break;
      default:
        out.append(text);
    }
    at = t.offset + t.length;
  }
  out.append(sql.substr(at));
  return out;
}

// Every field of a parse, the tokens by kind and id (their text differs in literals).
inline bool same_parse(const parsed_statement& a, const parsed_statement& b, std::string& why) {
  auto differ = [&](const char* field) {
    why = field;
    return false;
  };
  if (a.tokens.size() != b.tokens.size()) return differ("tokens");
  for (std::size_t i = 0; i < a.tokens.size(); ++i)
    if (a.tokens[i].kind != b.tokens[i].kind || a.tokens[i].code != b.tokens[i].code)
      return differ("token kinds");
  if (a.kind != b.kind || a.multiple != b.multiple || a.readable != b.readable ||
      a.executable_comments != b.executable_comments ||
      a.no_backslash_escapes != b.no_backslash_escapes ||
      std::string_view(a.unreadable) != b.unreadable)
    return differ("statement flags");
  if (a.tables.size() != b.tables.size()) return differ("tables");
  for (std::size_t i = 0; i < a.tables.size(); ++i) {
    const table_ref &x = a.tables[i], &y = b.tables[i];
    if (x.schema != y.schema || x.name != y.name || x.alias != y.alias ||
        x.schema_config != y.schema_config || x.table != y.table || x.nested != y.nested ||
        x.keys.any != y.keys.any || x.keys.terms_begin != y.keys.terms_begin ||
        x.keys.terms_count != y.keys.terms_count || x.keys.from_in_list != y.keys.from_in_list ||
        x.keys.in_open != y.keys.in_open || x.keys.in_close != y.keys.in_close)
      return differ("table_ref");
  }
  if (a.key_joins != b.key_joins) return differ("key_joins");
  if (a.hint_shard != b.hint_shard || a.hint_writer != b.hint_writer) return differ("hints");
  if ((a.scatter_blocker == nullptr) != (b.scatter_blocker == nullptr) ||
      (a.scatter_blocker && std::string_view(a.scatter_blocker) != b.scatter_blocker) ||
      (a.merge_needed == nullptr) != (b.merge_needed == nullptr) ||
      (a.merge_needed && std::string_view(a.merge_needed) != b.merge_needed))
    return differ("scatter_blocker / merge_needed");
  const select_shape &s = a.select, &t = b.select;
  if (s.simple != t.simple || s.distinct != t.distinct || s.list_begin != t.list_begin ||
      s.list_end != t.list_end || s.body_begin != t.body_begin || s.body_end != t.body_end ||
      s.group_begin != t.group_begin || s.group_end != t.group_end || s.rollup != t.rollup ||
      s.having_begin != t.having_begin || s.having_end != t.having_end ||
      s.order_begin != t.order_begin || s.order_end != t.order_end ||
      s.limit_begin != t.limit_begin || s.limit_end != t.limit_end ||
      s.tail_begin != t.tail_begin || s.tail_end != t.tail_end)
    return differ("select shape");
  auto same_lit = [](const literal_ref& x, const literal_ref& y) {
    return x.token == y.token && x.negative == y.negative && x.is_null == y.is_null;
  };
  if (a.assigns_key != b.assigns_key || a.assigned_key_literal != b.assigned_key_literal ||
      (a.assigned_key_literal && !same_lit(a.assigned_key, b.assigned_key)) ||
      a.order_or_limit != b.order_or_limit)
    return differ("assignments");
  if (a.insert_values != b.insert_values || a.insert_set != b.insert_set ||
      a.insert_select != b.insert_select || a.insert_has_columns != b.insert_has_columns ||
      a.key_column != b.key_column || a.rows_start != b.rows_start || a.rows_end != b.rows_end)
    return differ("insert");
  if (a.rows.size() != b.rows.size()) return differ("rows");
  for (std::size_t i = 0; i < a.rows.size(); ++i)
    if (a.rows[i].open != b.rows[i].open || a.rows[i].close != b.rows[i].close ||
        a.rows[i].key_is_literal != b.rows[i].key_is_literal ||
        (a.rows[i].key_is_literal && !same_lit(a.rows[i].key, b.rows[i].key)))
      return differ("row");
  if (a.ddl_object != b.ddl_object || a.ddl_database != b.ddl_database ||
      a.explained != b.explained)
    return differ("ddl / explain");
  if (a.key_terms.size() != b.key_terms.size()) return differ("key_terms");
  for (std::size_t i = 0; i < a.key_terms.size(); ++i)
    if (!same_lit(a.key_terms[i].lo, b.key_terms[i].lo) ||
        !same_lit(a.key_terms[i].hi, b.key_terms[i].hi) ||
        a.key_terms[i].range != b.key_terms[i].range)
      return differ("key_term");
  for (std::size_t i = 0; i < a.tokens.size(); ++i)
    if ((a.tokens[i].kind == sql::token_kind::lparen ||
         a.tokens[i].kind == sql::token_kind::rparen) &&
        a.readable && a.paren_partner[i] != b.paren_partner[i])
      return differ("paren_partner");
  return true;
}

}  // namespace shardgate::routing::test_shapes
