// The statement parser (parser/parser.hpp): shard-key values read out of WHERE and ON
// conditions (key sets of points, united by OR, intersected by AND).
#include "routing/parser/parser.hpp"

namespace shardgate::routing::detail {

void parser::evaluate_keys() {
  // Key joins from ON clauses (and the WHERE, below).
  collect_joins_ = true;
  for (auto [b, e] : on_ranges_) {
    if (conditional(b, e)) continue;
    std::uint32_t j = b;
    eval_or(j, e, true);
  }
  bool joins_from_where = false;
  for (std::uint32_t r = 0; r < out_.tables.size(); ++r) {
    table_ref& ref = out_.tables[r];
    ref.keys.reset();
    if (ref.nested || !ref.table || ref.table->broadcast) continue;  // broadcast: no key
    if (!has_where_ || conditional(where_begin_, where_end_)) continue;
    target_ = r;
    collect_joins_ = !joins_from_where;
    joins_from_where = true;
    out_.term_arena.clear();
    std::uint32_t j = where_begin_;
    const cset c = eval_or(j, where_end_, true);
    if (j != where_end_ || c.any) continue;  // not all of it was read: cannot tell
    ref.keys.any = false;
    ref.keys.terms_begin = static_cast<std::uint32_t>(out_.key_terms.size());
    ref.keys.terms_count = c.count;
    out_.key_terms.insert(out_.key_terms.end(), out_.term_arena.begin() + c.begin,
                          out_.term_arena.begin() + c.begin + c.count);
    ref.keys.from_in_list = c.from_in;
    ref.keys.in_open = c.in_open;
    ref.keys.in_close = c.in_close;
  }
  collect_joins_ = false;
}

cset parser::point(const literal_ref& lit) {
  cset c;
  c.any = false;
  c.begin = static_cast<std::uint32_t>(out_.term_arena.size());
  c.count = 1;
  out_.term_arena.push_back(key_term{lit, lit, false});
  return c;
}

cset parser::unite(const cset& a, const cset& b) {
  if (a.any || b.any) return cset{};
  cset c;
  c.any = false;
  c.begin = static_cast<std::uint32_t>(out_.term_arena.size());
  c.count = a.count + b.count;
  for (std::uint32_t k = 0; k < a.count; ++k)
    out_.term_arena.push_back(out_.term_arena[a.begin + k]);
  for (std::uint32_t k = 0; k < b.count; ++k)
    out_.term_arena.push_back(out_.term_arena[b.begin + k]);
  return c;
}

cset parser::eval_or(std::uint32_t& i, std::uint32_t end, bool top) {
  const std::size_t joins_before = out_.key_joins.size();
  cset result = eval_and(i, end, top);
  bool any_or = false;
  while (i < end && (kw(i, "OR") || op(i, "||") || kw(i, "XOR"))) {
    const bool force_any = !kw(i, "OR");  // || may be concatenation; XOR is not a union
    ++i;
    any_or = true;
    cset right = eval_and(i, end, false);
    result = force_any ? cset{} : unite(result, right);
  }
  if (any_or) {
    result.from_in = false;
    // Equalities under an OR do not hold for every row.
    out_.key_joins.resize(joins_before);
  }
  return result;
}

cset parser::eval_and(std::uint32_t& i, std::uint32_t end, bool top) {
  cset result = eval_not(i, end, top);
  while (i < end && (kw(i, "AND") || op(i, "&&"))) {
    ++i;
    cset right = eval_not(i, end, top);
    // Either side bounds the keys; keep the tighter one.
    if (result.any || (!right.any && right.count < result.count)) result = right;
  }
  return result;
}

cset parser::eval_not(std::uint32_t& i, std::uint32_t end, bool top) {
  if (i < end && (kw(i, "NOT") || op(i, "!"))) {
    ++i;
    eval_not(i, end, false);
    return cset{};
  }
  return eval_predicate(i, end, top);
}

bool parser::literal_at(std::uint32_t& i, std::uint32_t end, literal_ref& lit) {
  if (i >= end) return false;
  std::uint32_t j = i;
  bool negative = false;
  if (op(j, "-") || op(j, "+")) {
    negative = op(j, "-");
    ++j;
    if (j >= end || !is(j, token_kind::number)) return false;
  }
  const token& t = tok(j);
  if (t.kind == token_kind::number || t.kind == token_kind::hex_string) {
    if (t.kind == token_kind::hex_string && negative) return false;
    lit = literal_ref{j, negative, false};
    i = j + 1;
    return true;
  }
  if (t.kind == token_kind::string && !negative) {
    if (opt_.ansi_quotes && text(j).front() == '"') return false;    // an identifier
    if (j + 1 < end && is(j + 1, token_kind::string)) return false;  // 'a' 'b' concatenates
    lit = literal_ref{j, false, false};
    i = j + 1;
    return true;
  }
  if (!negative && kw(j, "NULL")) {
    lit = literal_ref{j, false, true};
    i = j + 1;
    return true;
  }
  return false;
}

operand parser::eval_primary(std::uint32_t& i, std::uint32_t end) {
  operand o;
  if (i >= end) return o;
  literal_ref lit;
  {
    std::uint32_t j = i;
    if (literal_at(j, end, lit)) {
      o.kind = operand::literal;
      o.lit = lit;
      i = j;
      return o;
    }
  }
  const token& t = tok(i);
  switch (t.kind) {
    case token_kind::lparen: {
      const std::uint32_t close = partner(i);
      std::uint32_t j = i + 1;
      if (starts_query(j) || close >= end) {
        i = close + 1;
        return o;  // a subquery: other
      }
      // ( operand ) or ( boolean expression ); anything else (a row) is other.
      std::uint32_t k = j;
      operand inner = eval_operand(k, close);
      if (k == close) {
        i = close + 1;
        return inner;
      }
      k = j;
      cset c = eval_or(k, close, false);
      i = close + 1;
      if (k == close) {
        o.kind = operand::boolean;
        o.set = c;
      }
      return o;
    }
    case token_kind::identifier:
    case token_kind::quoted_identifier: {
      if (t.kind == token_kind::identifier && t.code != 0) {
        if (kw(i, "CASE")) {
          // Skip to the matching END.
          int depth = 0;
          for (; i < end; ++i) {
            if (is(i, token_kind::lparen)) {
              i = partner(i);
              continue;
            }
            if (kw(i, "CASE")) ++depth;
            if (kw(i, "END") && --depth == 0) {
              ++i;
              break;
            }
          }
          return o;
        }
        if (kw(i, "INTERVAL")) {
          ++i;
          eval_operand(i, end);
          if (i < end && is(i, token_kind::identifier)) ++i;  // the unit
          return o;
        }
        if (kw(i, "BINARY") || kw(i, "EXISTS") || kw(i, "ROW")) {
          ++i;
          eval_primary(i, end);
          return o;
        }
        if ((kw(i, "DATE") || kw(i, "TIME") || kw(i, "TIMESTAMP")) && i + 1 < end &&
            is(i + 1, token_kind::string)) {
          i += 2;
          return o;
        }
        if (kw(i, "TRUE") || kw(i, "FALSE") || kw(i, "DEFAULT")) {
          ++i;
          return o;
        }
      }
      if (i + 1 < end && is(i + 1, token_kind::lparen)) {  // a function call
        i = partner(i + 1) + 1;
        return o;
      }
      // [schema.][table.]column
      o.kind = operand::column;
      o.first = i;
      while (i + 2 < end && is(i + 1, token_kind::dot) && (is_name(i + 2) || op(i + 2, "*")))
        i += 2;
      o.last = i;
      ++i;
      return o;
    }
    case token_kind::op: {
      if (op(i, "-") || op(i, "+") || op(i, "~") || op(i, "!")) {
        ++i;
        eval_primary(i, end);
        return o;
      }
      ++i;
      return o;
    }
    default:
      ++i;
      return o;
  }
}

// An operand of a comparison: primaries joined by operators that bind tighter than
// comparisons (arithmetic, bit operators, COLLATE, JSON arrows, ...).
operand parser::eval_operand(std::uint32_t& i, std::uint32_t end) {
  operand o = eval_primary(i, end);
  for (;;) {
    if (i >= end) return o;
    const token& t = tok(i);
    bool binary = false;
    if (t.kind == token_kind::op) {
      binary = op(i, "|") || op(i, "&") || op(i, "<<") || op(i, ">>") || op(i, "+") || op(i, "-") ||
               op(i, "*") || op(i, "/") || op(i, "%") || op(i, "^") || op(i, "->") ||
               op(i, "->>") || op(i, ":=");
    } else if (t.kind == token_kind::identifier) {
      binary = kw(i, "DIV") || kw(i, "MOD") || kw(i, "COLLATE");
    } else if (t.kind == token_kind::string) {
      // 'a' 'b' (concatenation) after a literal was already refused by literal_at.
      binary = false;
    }
    if (!binary) return o;
    ++i;
    eval_primary(i, end);
    o = operand{};
  }
}

cset parser::eval_predicate(std::uint32_t& i, std::uint32_t end, bool top) {
  operand a = eval_operand(i, end);
  if (i >= end) return a.kind == operand::boolean ? a.set : cset{};
  const bool a_key = a.kind == operand::column && column_is_key_of(a, target_);
  // [NOT] IN / BETWEEN / LIKE / REGEXP
  bool negated = false;
  std::uint32_t j = i;
  if (kw(j, "NOT")) {
    negated = true;
    ++j;
  }
  if (kw(j, "IN") && is(j + 1, token_kind::lparen)) {
    const std::uint32_t open = j + 1;
    const std::uint32_t close = partner(open);
    i = close + 1;
    if (negated || !a_key || starts_query(open + 1)) return cset{};
    cset c;
    c.any = false;
    c.begin = static_cast<std::uint32_t>(out_.term_arena.size());
    std::uint32_t k = open + 1;
    while (k < close) {
      literal_ref lit;
      if (!literal_at(k, close, lit) || (k != close && !is(k, token_kind::comma))) {
        out_.term_arena.resize(c.begin);
        return cset{};
      }
      out_.term_arena.push_back(key_term{lit, lit, false});
      if (k < close) ++k;
    }
    c.count = static_cast<std::uint32_t>(out_.term_arena.size()) - c.begin;
    c.from_in = top;
    c.in_open = open;
    c.in_close = close;
    return c;
  }
  if (kw(j, "BETWEEN")) {
    i = j + 1;
    operand lo = eval_operand(i, end);
    if (!kw(i, "AND")) return cset{};
    ++i;
    operand hi = eval_operand(i, end);
    if (negated || !a_key || lo.kind != operand::literal || hi.kind != operand::literal)
      return cset{};
    cset c;
    c.any = false;
    c.begin = static_cast<std::uint32_t>(out_.term_arena.size());
    c.count = 1;
    out_.term_arena.push_back(key_term{lo.lit, hi.lit, true});
    return c;
  }
  if (kw(j, "LIKE") || kw(j, "REGEXP") || kw(j, "RLIKE") ||
      (kw(j, "SOUNDS") && kw(j + 1, "LIKE"))) {
    i = kw(j, "SOUNDS") ? j + 2 : j + 1;
    eval_operand(i, end);
    if (kw(i, "ESCAPE")) {
      ++i;
      eval_operand(i, end);
    }
    return cset{};
  }
  if (kw(i, "IS")) {
    ++i;
    if (kw(i, "NOT")) ++i;
    if (kw(i, "NULL") || kw(i, "TRUE") || kw(i, "FALSE") || kw(i, "UNKNOWN")) ++i;
    return cset{};
  }
  if (kw(i, "MEMBER") && kw(i + 1, "OF")) {
    i += 2;
    eval_primary(i, end);
    return cset{};
  }
  if (tok(i).kind == token_kind::op) {
    const bool null_safe = op(i, "<=>");
    const bool equality = op(i, "=") || null_safe;
    const bool comparison = equality || op(i, "<") || op(i, ">") || op(i, "<=") || op(i, ">=") ||
                            op(i, "<>") || op(i, "!=");
    if (!comparison) return a.kind == operand::boolean ? a.set : cset{};
    ++i;
    // ANY / SOME / ALL (subquery)
    if ((kw(i, "ANY") || kw(i, "SOME") || kw(i, "ALL")) && is(i + 1, token_kind::lparen)) {
      i = partner(i + 1) + 1;
      return cset{};
    }
    operand b = eval_operand(i, end);
    // Anything but AND / OR / XOR after the comparison continues an operator of the same
    // precedence on its boolean result - a = b = c, a = b IN (...), a = b IS NULL,
    // a = b LIKE ..., a = b BETWEEN ...: not a key equality (nor a key join). Skip it,
    // including the AND of a BETWEEN.
    if (i < end && !kw(i, "AND") && !op(i, "&&") && !kw(i, "OR") && !op(i, "||") && !kw(i, "XOR")) {
      bool between = false;
      while (i < end) {
        if (kw(i, "BETWEEN")) {
          between = true;
        } else if (kw(i, "AND") || op(i, "&&")) {
          if (!between) break;
          between = false;
        } else if (kw(i, "OR") || op(i, "||") || kw(i, "XOR")) {
          break;
        } else if (is(i, token_kind::lparen)) {
          i = partner(i);
        }
        ++i;
      }
      return cset{};
    }
    if (!equality) return cset{};
    const bool b_key = b.kind == operand::column && column_is_key_of(b, target_);
    if (collect_joins_ && top && a.kind == operand::column && b.kind == operand::column) {
      const int ra = key_owner(a), rb = key_owner(b);
      if (ra >= 0 && rb >= 0 && ra != rb)
        out_.key_joins.emplace_back(static_cast<std::uint16_t>(ra), static_cast<std::uint16_t>(rb));
    }
    if (a_key && b.kind == operand::literal) {
      // <=> NULL is IS NULL: cannot tell where NULL keys live.
      if (b.lit.is_null && null_safe) return cset{};
      return point(b.lit);
    }
    if (b_key && a.kind == operand::literal) {
      if (a.lit.is_null && null_safe) return cset{};
      return point(a.lit);
    }
    return cset{};
  }
  return a.kind == operand::boolean ? a.set : cset{};
}

bool parser::column_is_key_of(const operand& col, std::uint32_t r) const {
  const table_ref& ref = out_.tables[r];
  if (!ref.table || ref.nested || ref.table->broadcast) return false;
  const std::uint32_t parts = (col.last - col.first) / 2 + 1;
  if (!ident_equals(tok(col.last), sql_, ref.table->shard_key)) return false;
  if (parts == 1) return true;
  if (parts > 3) return false;
  const std::uint32_t table_token = col.last - 2;
  if (!ref.alias.empty()) {
    if (parts != 2) return false;
    return ident_equals(tok(table_token), sql_, ref.alias);
  }
  if (!ident_equals(tok(table_token), sql_, ref.name)) return false;
  if (parts == 3) {
    const std::uint32_t schema_token = col.first;
    if (!ref.schema.empty()) return ident_equals(tok(schema_token), sql_, ref.schema);
    return ref.schema_config && ident_equals(tok(schema_token), sql_, ref.schema_config->name);
  }
  return true;
}

int parser::key_owner(const operand& col) const {
  const std::uint32_t parts = (col.last - col.first) / 2 + 1;
  int found = -1;
  for (std::uint32_t r = 0; r < out_.tables.size(); ++r) {
    if (!column_is_key_of(col, r)) continue;
    if (parts > 1) return static_cast<int>(r);
    if (found < 0) found = static_cast<int>(r);
  }
  return found;
}

}  // namespace shardgate::routing::detail
