#include "merge/operators.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include "sql/lexer.hpp"

namespace shardgate::merge {

using routing::aggregate_kind;
using routing::having_node;

std::size_t prefix_length(protocol::byte_span payload, std::size_t columns) {
  protocol::byte_reader r(payload);
  for (std::size_t i = 0; i < columns; ++i) (void)r.nullable_lenenc_str();
  return r.ok() ? payload.size() - r.remaining() : payload.size();
}

bool row_layout::resolve(const merge_spec& spec,
                         const std::vector<protocol::column_definition>& cols, std::string& error) {
  columns = cols.size();
  // At least one visible column besides the hidden ones.
  if (spec.hidden < 0 || columns == 0 || static_cast<std::size_t>(spec.hidden) >= columns) {
    error = "the shards returned " + std::to_string(columns) + " columns, fewer than the " +
            std::to_string(spec.hidden + 1) + " the merge needs";
    return false;
  }
  visible = columns - static_cast<std::size_t>(spec.hidden);
  if (spec.visible_items >= 0 && visible != static_cast<std::size_t>(spec.visible_items)) {
    error = "the shards returned " + std::to_string(visible) + " select list columns, expected " +
            std::to_string(spec.visible_items);
    return false;
  }
  classes.resize(columns);
  types.resize(columns);
  decimals.resize(columns);
  for (std::size_t i = 0; i < columns; ++i) {
    classes[i] = class_of(cols[i]);
    types[i] = cols[i].type;
    decimals[i] = cols[i].decimals;
  }
  auto resolve_keys = [&](const std::vector<routing::merge_key>& keys,
                          std::vector<resolved_key>& out, bool ordered) {
    out.clear();
    for (const auto& k : keys) {
      resolved_key r;
      r.value = index(k.value);
      r.weight = index(k.weight);
      r.descending = k.descending;
      if (r.value < 0 || static_cast<std::size_t>(r.value) >= columns ||
          r.weight >= static_cast<int>(columns)) {
        error = "a merge key column is missing from the shards' rows";
        return false;
      }
      r.cls = classes[static_cast<std::size_t>(r.value)];
      r.use_weight = r.cls == value_class::collated && r.weight >= 0;
      if (r.cls == value_class::collated && r.weight < 0) r.cls = value_class::bytes;
      if (types[static_cast<std::size_t>(r.value)] == protocol::column_type::float_) {
        // FLOAT arrives rounded to about 6 digits: distinct values can print the same.
        error = "ordering, grouping or DISTINCT by FLOAT column '" +
                std::string(cols[static_cast<std::size_t>(r.value)].name) +
                "' (its text is rounded; use DOUBLE or DECIMAL)";
        return false;
      }
      if (ordered && r.cls == value_class::unordered) {
        error = std::string("ordering by a column of type ") + value_class_name(r.cls) + " '" +
                std::string(cols[static_cast<std::size_t>(r.value)].name) +
                "' (its order is not in its text)";
        return false;
      }
      if (r.cls == value_class::unordered) r.cls = value_class::bytes;
      out.push_back(r);
    }
    return true;
  };
  auto fits = [&](const column_slot& slot) {
    return !slot.valid() || static_cast<std::size_t>(index(slot)) < columns;
  };
  for (const auto& a : spec.aggregates) {
    if (!fits(a.output) || !fits(a.partial) || !fits(a.weight) || !fits(a.count) ||
        !fits(a.distinct_value) || !fits(a.distinct_weight) ||
        (a.kind == routing::aggregate_kind::avg && !a.count.valid()) ||
        (a.kind == routing::aggregate_kind::count_distinct &&
         (!a.distinct_value.valid() || !a.distinct_weight.valid()))) {
      error = "an aggregate's columns are missing from the shards' rows";
      return false;
    }
    const int v = index(a.distinct_value);
    if (v >= 0 && static_cast<std::size_t>(v) < columns &&
        types[static_cast<std::size_t>(v)] == protocol::column_type::float_) {
      error = "COUNT(DISTINCT) of FLOAT column '" +
              std::string(cols[static_cast<std::size_t>(v)].name) +
              "' (its text is rounded; use DOUBLE or DECIMAL)";
      return false;
    }
  }
  return resolve_keys(spec.order, order, true) && resolve_keys(spec.group, group, false) &&
         resolve_keys(spec.distinct_keys, distinct, false);
}

int compare_rows(const row_fields& a, const row_fields& b, const std::vector<resolved_key>& keys) {
  for (const auto& k : keys) {
    const field& va = a[static_cast<std::size_t>(k.value)];
    const field& vb = b[static_cast<std::size_t>(k.value)];
    int c;
    if (!va || !vb) {
      c = va ? 1 : (vb ? -1 : 0);
    } else if (k.use_weight) {
      const field& wa = a[static_cast<std::size_t>(k.weight)];
      const field& wb = b[static_cast<std::size_t>(k.weight)];
      c = wa && wb ? compare_weights(*wa, *wb) : compare_fields(value_class::bytes, wa, wb);
    } else {
      c = compare_values(k.cls, *va, *vb);
    }
    if (c != 0) return k.descending ? -c : c;
  }
  return 0;
}

void key_of(const row_fields& row, const std::vector<resolved_key>& keys, std::string& out) {
  out.clear();
  for (const auto& k : keys) {
    const field& v = row[static_cast<std::size_t>(k.value)];
    field f = v && k.use_weight ? row[static_cast<std::size_t>(k.weight)] : v;
    if (f && k.use_weight) f = canonical_weight(*f);  // 'a' and 'a ' are one value
    if (!f) {
      out.push_back('\0');
      continue;
    }
    out.push_back('\1');
    const auto n = static_cast<std::uint32_t>(f->size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(*f);
  }
}

bool distinct_filter::first_time(const row_fields& row, const std::vector<resolved_key>& keys) {
  key_of(row, keys, scratch_);
  return seen_.insert(scratch_).second;
}

bool merge_heap::less(std::size_t a, std::size_t b, const std::vector<row_fields>& rows) const {
  const int c = compare_rows(rows[a], rows[b], keys_);
  return c < 0 || (c == 0 && a < b);
}

void merge_heap::push(std::size_t source, const std::vector<row_fields>& rows) {
  heap_.push_back(source);
  std::push_heap(heap_.begin(), heap_.end(),
                 [&](std::size_t x, std::size_t y) { return less(y, x, rows); });
}

std::size_t merge_heap::pop(const std::vector<row_fields>& rows) {
  std::pop_heap(heap_.begin(), heap_.end(),
                [&](std::size_t x, std::size_t y) { return less(y, x, rows); });
  const std::size_t top = heap_.back();
  heap_.pop_back();
  return top;
}

void view_of(const owned_row& row, row_fields& out) {
  out.resize(row.size());
  for (std::size_t i = 0; i < row.size(); ++i)
    out[i] = row[i] ? field(std::string_view(*row[i])) : field();
}

void encode_row(protocol::bytes& out, const owned_row& row, std::size_t columns) {
  protocol::byte_writer w(out);
  for (std::size_t i = 0; i < columns && i < row.size(); ++i) {
    if (row[i])
      w.lenenc_str(*row[i]);
    else
      w.u8(0xfb);
  }
}

// ---- aggregator ----------------------------------------------------------------------

namespace {

bool parse_u64(std::string_view s, std::uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<std::string> own(const field& f) {
  return f ? std::optional<std::string>(std::string(*f)) : std::nullopt;
}

}  // namespace

bool aggregator::add(const row_fields& row, std::string& error) {
  key_of(row, layout_.group, key_);
  auto it = index_.find(key_);
  if (it == index_.end()) {
    if (groups_.size() + distinct_values_ >= max_rows_) {
      over_limit_ = true;
      error = "the merge needs more than " + std::to_string(max_rows_) +
              " groups or distinct values in memory (routing.merge_max_rows)";
      return false;
    }
    it = index_.emplace(key_, groups_.size()).first;
    group g;
    g.row.reserve(row.size());
    for (const auto& f : row) g.row.push_back(own(f));
    g.acc.resize(spec_.aggregates.size());
    groups_.push_back(std::move(g));
  } else {
    // Columns outside the aggregates: the first non-NULL value seen.
    owned_row& r = groups_[it->second].row;
    for (std::size_t i = 0; i < r.size() && i < row.size(); ++i)
      if (!r[i] && row[i]) r[i] = std::string(*row[i]);
  }
  return fold(groups_[it->second], row, error);
}

bool aggregator::fold(group& g, const row_fields& row, std::string& error) {
  for (std::size_t k = 0; k < spec_.aggregates.size(); ++k) {
    const auto& a = spec_.aggregates[k];
    accumulator& acc = g.acc[k];
    const int p = layout_.index(a.partial);
    const field f = p >= 0 ? row[static_cast<std::size_t>(p)] : field();
    auto bad = [&](std::string_view what) {
      error = "shard returned a malformed partial " + std::string(what) + " for " + a.text;
      return false;
    };
    switch (a.kind) {
      case aggregate_kind::count: {
        std::uint64_t v = 0;
        if (f && !parse_u64(*f, v)) return bad(*f);
        acc.count += v;
        break;
      }
      case aggregate_kind::avg: {
        const int c = layout_.index(a.count);
        const field cf = row[static_cast<std::size_t>(c)];
        std::uint64_t v = 0;
        if (cf && !parse_u64(*cf, v)) return bad(*cf);
        acc.count += v;
        [[fallthrough]];
      }
      case aggregate_kind::sum: {
        if (!f) break;
        if (layout_.classes[static_cast<std::size_t>(p)] == value_class::floating) {
          double d = 0;
          if (!parse_double(*f, d)) return bad(*f);
          acc.fsum += d;
        } else {
          decimal d;
          if (!d.parse(*f)) return bad(*f);
          acc.sum.add(d);
        }
        acc.any = true;
        break;
      }
      case aggregate_kind::min:
      case aggregate_kind::max: {
        if (!f) break;
        const int w = layout_.index(a.weight);
        const field wf = w >= 0 ? row[static_cast<std::size_t>(w)] : field();
        bool better = !acc.best;
        if (!better) {
          const value_class cls = layout_.classes[static_cast<std::size_t>(p)];
          int c;
          if ((cls == value_class::collated || cls == value_class::unordered) && wf &&
              acc.best_weight)
            c = compare_weights(*wf, *acc.best_weight);
          else
            c = compare_values(cls == value_class::collated ? value_class::bytes : cls, *f,
                               *acc.best);
          better = a.kind == aggregate_kind::min ? c < 0 : c > 0;
        }
        if (better) {
          acc.best = std::string(*f);
          acc.best_weight = own(wf);
        }
        break;
      }
      case aggregate_kind::bit_and:
      case aggregate_kind::bit_or:
      case aggregate_kind::bit_xor: {
        if (!f) break;
        std::uint64_t v = 0;
        if (!parse_u64(*f, v)) return bad(*f);
        if (a.kind == aggregate_kind::bit_and)
          acc.bits = acc.any ? (acc.bits & v) : v;
        else if (a.kind == aggregate_kind::bit_or)
          acc.bits |= v;
        else
          acc.bits ^= v;
        acc.any = true;
        break;
      }
      case aggregate_kind::count_distinct: {
        const int dv = layout_.index(a.distinct_value);
        const int dw = layout_.index(a.distinct_weight);
        const field v = row[static_cast<std::size_t>(dv)];
        if (!v) break;
        const bool collated =
            layout_.classes[static_cast<std::size_t>(dv)] == value_class::collated;
        field key = collated && dw >= 0 ? row[static_cast<std::size_t>(dw)] : v;
        if (key && collated && dw >= 0) key = canonical_weight(*key);
        if (!acc.distinct) acc.distinct = std::make_unique<std::unordered_set<std::string>>();
        if (acc.distinct->emplace(key ? *key : std::string_view()).second &&
            groups_.size() + ++distinct_values_ > max_rows_) {
          over_limit_ = true;
          error = "the merge needs more than " + std::to_string(max_rows_) +
                  " groups or distinct values in memory (routing.merge_max_rows)";
          return false;
        }
        break;
      }
    }
  }
  return true;
}

void aggregator::finalize(group& g) {
  for (std::size_t k = 0; k < spec_.aggregates.size(); ++k) {
    const auto& a = spec_.aggregates[k];
    accumulator& acc = g.acc[k];
    const int out = layout_.index(a.output);
    if (out < 0) continue;
    auto& cell = g.row[static_cast<std::size_t>(out)];
    const std::uint8_t scale = layout_.decimals[static_cast<std::size_t>(out)];
    const bool floating = layout_.classes[static_cast<std::size_t>(out)] == value_class::floating;
    switch (a.kind) {
      case aggregate_kind::count:
        cell = std::to_string(acc.count);
        break;
      case aggregate_kind::sum:
        if (!acc.any) {
          cell.reset();
        } else if (floating && !std::isfinite(acc.fsum)) {
          out_of_range_ = true;
          range_error_ = "DOUBLE value is out of range in '" + a.text + "'";
        } else {
          cell = floating ? format_double(acc.fsum) : acc.sum.to_string(std::min<int>(scale, 38));
        }
        break;
      case aggregate_kind::avg:
        if (!acc.any || acc.count == 0) {
          cell.reset();
        } else if (floating ||
                   layout_.classes[static_cast<std::size_t>(layout_.index(a.partial))] ==
                       value_class::floating) {
          if (!std::isfinite(acc.fsum)) {
            out_of_range_ = true;
            range_error_ = "DOUBLE value is out of range in '" + a.text + "'";
          }
          cell = format_double(acc.fsum / static_cast<double>(acc.count));
          if (!floating) {  // a DECIMAL column of a floating sum: keep the column's scale
            decimal d;
            if (d.parse(*cell)) cell = d.to_string(scale);
          }
        } else {
          const int s = a.output == a.partial ? std::min(scale + 4, 38) : std::min<int>(scale, 38);
          cell = acc.sum.divide(acc.count, s).to_string(s);
        }
        break;
      case aggregate_kind::min:
      case aggregate_kind::max: {
        cell = acc.best;
        const int w = layout_.index(a.weight);
        if (w >= 0) g.row[static_cast<std::size_t>(w)] = acc.best_weight;
        break;
      }
      case aggregate_kind::bit_and:
        cell = std::to_string(acc.any ? acc.bits : ~std::uint64_t{0});
        break;
      case aggregate_kind::bit_or:
      case aggregate_kind::bit_xor:
        cell = std::to_string(acc.bits);
        break;
      case aggregate_kind::count_distinct:
        cell = std::to_string(acc.distinct ? acc.distinct->size() : 0);
        break;
    }
  }
}

namespace {

struct operand {
  std::optional<std::string_view> text;
  value_class cls = value_class::decimal;
  bool single_float = false;
  bool string_literal = false;
  bool literal = false;
};

// -1, 0, 1; or 2 when the values cannot be compared here. Columns compare as numbers
// only: integers, DECIMAL and DOUBLE (dates, times, BIT and text convert by rules of their
// own, FLOAT arrives rounded).
// 'YYYY-MM-DD[ HH:MM:SS[.f...]]' as 'YYYY-MM-DD HH:MM:SS.ffffff' (how MySQL compares a
// DATE/DATETIME with a date string: as DATETIME); false for anything else.
bool canonical_datetime(std::string_view t, std::string& out) {
  auto digits = [&](std::size_t from, std::size_t n) {
    if (t.size() < from + n) return false;
    for (std::size_t i = from; i < from + n; ++i)
      if (t[i] < '0' || t[i] > '9') return false;
    return true;
  };
  if (!digits(0, 4) || t.size() < 10 || t[4] != '-' || !digits(5, 2) || t[7] != '-' ||
      !digits(8, 2))
    return false;
  out.assign(t.substr(0, 10));
  if (t.size() == 10) {
    out += " 00:00:00.000000";
    return true;
  }
  if (t.size() < 19 || t[10] != ' ' || !digits(11, 2) || t[13] != ':' || !digits(14, 2) ||
      t[16] != ':' || !digits(17, 2))
    return false;
  out.append(t.substr(10, 9));
  std::string frac;
  if (t.size() > 19) {
    if (t[19] != '.' || t.size() == 20 || t.size() > 26 || !digits(20, t.size() - 20)) return false;
    frac.assign(t.substr(20));
  }
  frac.resize(6, '0');
  out += '.';
  out += frac;
  return true;
}

int compare_operands(const operand& a, const operand& b) {
  const bool ta = !a.literal && a.cls == value_class::temporal;
  const bool tb = !b.literal && b.cls == value_class::temporal;
  if (ta || tb) {
    // A date/time column with another or with a date string.
    if ((!ta && !(a.literal && a.string_literal)) || (!tb && !(b.literal && b.string_literal)))
      return 2;
    std::string x, y;
    if (!canonical_datetime(*a.text, x) || !canonical_datetime(*b.text, y)) return 2;
    const int c = x.compare(y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  auto numeric = [](const operand& o) {
    if (o.literal) return true;
    return o.cls == value_class::signed_int || o.cls == value_class::unsigned_int ||
           o.cls == value_class::decimal || (o.cls == value_class::floating && !o.single_float);
  };
  if (!numeric(a) || !numeric(b)) return 2;
  decimal x, y;
  if (x.parse(*a.text) && y.parse(*b.text)) return x.compare(y);
  double dx = 0, dy = 0;
  if (parse_double(*a.text, dx) && parse_double(*b.text, dy))
    return dx < dy ? -1 : (dx > dy ? 1 : 0);
  return 2;
}

}  // namespace

int aggregator::having(const owned_row& row, std::int32_t index, std::string& error) const {
  const having_node& n = spec_.having[static_cast<std::size_t>(index)];
  auto value = [&](std::uint32_t child) {
    const having_node& c = spec_.having[child];
    operand o;
    if (c.kind == having_node::op::literal) {
      o.literal = true;
      o.string_literal = c.string_literal;
      if (!c.is_null) o.text = std::string_view(c.text);
    } else if (c.kind == having_node::op::column) {
      const int i = layout_.index(c.column);
      if (i >= 0 && static_cast<std::size_t>(i) < row.size() && row[static_cast<std::size_t>(i)])
        o.text = std::string_view(*row[static_cast<std::size_t>(i)]);
      if (i >= 0) {
        o.cls = layout_.classes[static_cast<std::size_t>(i)];
        o.single_float =
            layout_.types[static_cast<std::size_t>(i)] == protocol::column_type::float_;
      }
    }
    return o;
  };
  auto is_operand = [&](std::uint32_t child) {
    const auto k = spec_.having[child].kind;
    return k == having_node::op::literal || k == having_node::op::column;
  };
  auto truth = [&](std::uint32_t child) -> int {
    if (!is_operand(child)) return having(row, static_cast<std::int32_t>(child), error);
    const operand o = value(child);
    if (!o.text) return -1;
    const bool number =
        o.literal ? !o.string_literal
                  : (o.cls == value_class::signed_int || o.cls == value_class::unsigned_int ||
                     o.cls == value_class::decimal ||
                     (o.cls == value_class::floating && !o.single_float));
    double d = 0;
    if (!number || !parse_double(*o.text, d)) {
      error = "HAVING uses " + std::string(*o.text) +
              " as a condition (the merge reads only numbers as conditions)";
      return 0;
    }
    return d != 0;
  };
  auto cmp = [&](std::uint32_t ca, std::uint32_t cb, int& out) -> bool {
    const operand a = value(ca), b = value(cb);
    if (!a.text || !b.text) {
      out = 3;  // NULL
      return true;
    }
    out = compare_operands(a, b);
    if (out == 2) {
      error = "HAVING compares " + std::string(a.text ? *a.text : "") + " with " +
              std::string(b.text ? *b.text : "") +
              " (the merge compares numbers, and dates with 'YYYY-MM-DD[ HH:MM:SS]' strings - "
              "not text, times, BIT or FLOAT)";
      return false;
    }
    return true;
  };
  auto not3 = [](int v) { return v < 0 ? -1 : !v; };
  switch (n.kind) {
    case having_node::op::and_: {
      const int a = truth(n.children[0]);
      if (!error.empty()) return 0;
      if (a == 0) return 0;
      const int b = truth(n.children[1]);
      if (b == 0) return 0;
      return a < 0 || b < 0 ? -1 : 1;
    }
    case having_node::op::or_: {
      const int a = truth(n.children[0]);
      if (!error.empty()) return 0;
      if (a == 1) return 1;
      const int b = truth(n.children[1]);
      if (b == 1) return 1;
      return a < 0 || b < 0 ? -1 : 0;
    }
    case having_node::op::xor_: {
      const int a = truth(n.children[0]);
      const int b = truth(n.children[1]);
      return a < 0 || b < 0 ? -1 : (a != b);
    }
    case having_node::op::not_:
      return not3(truth(n.children[0]));
    case having_node::op::compare: {
      const operand a = value(n.children[0]), b = value(n.children[1]);
      if (n.compare_op == sql::operator_id("<=>")) {
        if (!a.text || !b.text) return !a.text && !b.text;
      }
      int c = 0;
      if (!cmp(n.children[0], n.children[1], c)) return 0;
      if (c == 3) return -1;
      const std::uint16_t o = n.compare_op;
      if (o == sql::operator_id("=") || o == sql::operator_id("<=>")) return c == 0;
      if (o == sql::operator_id("<")) return c < 0;
      if (o == sql::operator_id("<=")) return c <= 0;
      if (o == sql::operator_id(">")) return c > 0;
      if (o == sql::operator_id(">=")) return c >= 0;
      return c != 0;  // <> !=
    }
    case having_node::op::is_null: {
      const bool null = !value(n.children[0]).text;
      return n.negated ? !null : null;
    }
    case having_node::op::between: {
      int lo = 0, hi = 0;
      if (!cmp(n.children[0], n.children[1], lo) || !cmp(n.children[0], n.children[2], hi))
        return 0;
      int r;
      if ((lo != 3 && lo < 0) || (hi != 3 && hi > 0))
        r = 0;
      else if (lo == 3 || hi == 3)
        r = -1;
      else
        r = 1;
      return n.negated ? not3(r) : r;
    }
    case having_node::op::in_list: {
      int r = 0;
      for (std::size_t k = 1; k < n.children.size(); ++k) {
        int c = 0;
        if (!cmp(n.children[0], n.children[k], c)) return 0;
        if (c == 3) {
          r = -1;
        } else if (c == 0) {
          r = 1;
          break;
        }
      }
      return n.negated ? not3(r) : r;
    }
    case having_node::op::column:
    case having_node::op::literal:
      return truth(static_cast<std::uint32_t>(index));
  }
  return 0;
}

bool aggregator::finish(std::vector<owned_row>& out, std::string& error) {
  out.clear();
  if (groups_.empty() && spec_.group.empty()) {
    // A scalar aggregate over no rows at all still answers one row (COUNT 0, SUM NULL).
    group g;
    g.row.assign(layout_.columns, std::nullopt);
    g.acc.resize(spec_.aggregates.size());
    groups_.push_back(std::move(g));
  }
  for (auto& g : groups_) {
    finalize(g);
    if (out_of_range_) {
      error = range_error_;
      return false;
    }
    if (spec_.having_root >= 0) {
      // Operand nodes (a bare column) are evaluated through `truth` in having().
      const int t = having(g.row, spec_.having_root, error);
      if (!error.empty()) return false;
      if (t != 1) continue;
    }
    out.push_back(std::move(g.row));
  }
  groups_.clear();
  index_.clear();
  const std::vector<resolved_key>* keys = nullptr;
  if (!layout_.order.empty())
    keys = &layout_.order;
  else if (!spec_.order_by_null && !layout_.group.empty())
    keys = &layout_.group;  // MariaDB returns groups in GROUP BY order
  if (keys && out.size() > 1) {
    std::vector<row_fields> views(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) view_of(out[i], views[i]);
    std::vector<std::size_t> order(out.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return compare_rows(views[a], views[b], *keys) < 0;
    });
    std::vector<owned_row> sorted;
    sorted.reserve(out.size());
    for (std::size_t i : order) sorted.push_back(std::move(out[i]));
    out.swap(sorted);
  }
  return true;
}

}  // namespace shardgate::merge
