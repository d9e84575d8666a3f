#include "routing/scatter_plan.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace shardgate::routing {

using sql::keyword_id;
using sql::operator_id;
using sql::token;
using sql::token_kind;

const char* aggregate_kind_name(aggregate_kind k) noexcept {
  switch (k) {
    case aggregate_kind::count:
      return "COUNT";
    case aggregate_kind::sum:
      return "SUM";
    case aggregate_kind::min:
      return "MIN";
    case aggregate_kind::max:
      return "MAX";
    case aggregate_kind::avg:
      return "AVG";
    case aggregate_kind::count_distinct:
      return "COUNT(DISTINCT)";
    case aggregate_kind::bit_and:
      return "BIT_AND";
    case aggregate_kind::bit_or:
      return "BIT_OR";
    case aggregate_kind::bit_xor:
      return "BIT_XOR";
  }
  return "?";
}

const char* merge_mode_name(merge_mode m) noexcept {
  switch (m) {
    case merge_mode::concat:
      return "concatenate";
    case merge_mode::sort:
      return "merge-sort";
    case merge_mode::aggregate:
      return "aggregate";
  }
  return "?";
}

void merge_spec::clear() {
  mode = merge_mode::concat;
  hidden = 0;
  visible_items = -1;
  order.clear();
  order_by_null = false;
  group.clear();
  aggregates.clear();
  having.clear();
  having_root = -1;
  distinct = false;
  distinct_keys.clear();
  has_limit = false;
  offset = count = 0;
}

namespace {

// Words after which a name is an operand, never an alias.
constexpr std::array<sql::keyword, 19> operator_words = {
    keyword_id("COLLATE"), keyword_id("DIV"),      keyword_id("MOD"),     keyword_id("AND"),
    keyword_id("OR"),      keyword_id("XOR"),      keyword_id("NOT"),     keyword_id("IS"),
    keyword_id("IN"),      keyword_id("BETWEEN"),  keyword_id("LIKE"),    keyword_id("REGEXP"),
    keyword_id("RLIKE"),   keyword_id("INTERVAL"), keyword_id("ESCAPE"),  keyword_id("BINARY"),
    keyword_id("CASE"),    keyword_id("SOUNDS"),   keyword_id("DISTINCT")};

struct select_item {
  std::uint32_t begin = 0, end = 0;  // the whole item
  std::uint32_t expr_end = 0;        // the expression (before any alias)
  bool star = false;
  std::string alias;   // lower case
  int aggregate = -1;  // index into spec.aggregates when the item is one aggregate call
};

class planner {
 public:
  planner(const parsed_statement& p, merge_spec& spec, std::string& sql, std::string& why)
      : p_(p), s_(p.select), spec_(spec), sql_(sql), why_(why) {}

  bool run();

 private:
  // ---- tokens ----
  const token& tok(std::uint32_t i) const { return p_.tokens[i]; }
  std::string_view text(std::uint32_t i) const { return p_.token_text(i); }
  bool kw(std::uint32_t i, sql::keyword k) const { return p_.is_keyword(i, k); }
  bool is(std::uint32_t i, token_kind k) const { return i < p_.tokens.size() && tok(i).kind == k; }
  bool op(std::uint32_t i, std::uint16_t id) const {
    return is(i, token_kind::op) && tok(i).code == id;
  }
  std::uint32_t partner(std::uint32_t i) const { return p_.paren_partner[i]; }
  // The statement's text of tokens [b, e), with what lies between them.
  std::string_view slice(std::uint32_t b, std::uint32_t e) const {
    if (e <= b) return {};
    const std::uint32_t from = tok(b).offset;
    const std::uint32_t to = tok(e - 1).offset + tok(e - 1).length;
    return p_.text.substr(from, to - from);
  }
  bool is_aggregate_word(std::uint32_t i) const {
    return is(i, token_kind::identifier) && is_aggregate_function(tok(i).code) &&
           is(i + 1, token_kind::lparen);
  }
  // Whether token i can be the last token of an expression (so a name after it is an
  // alias): not an operator, a dot, or an operator word (`name COLLATE utf8mb4_bin`).
  bool ends_expression(std::uint32_t i) const {
    if (is(i, token_kind::op) || is(i, token_kind::dot) || is(i, token_kind::comma) ||
        is(i, token_kind::lparen))
      return false;
    if (is(i, token_kind::identifier) && tok(i).code != 0)
      return std::find(operator_words.begin(), operator_words.end(), tok(i).code) ==
                 operator_words.end() &&
             !(identifier_lower(text(i)) == "when" || identifier_lower(text(i)) == "then" ||
               identifier_lower(text(i)) == "else");
    return true;
  }
  // LEFT(...), RIGHT(...), VALUES(...), INSERT(...): functions, not clause words (as the
  // routing parser reads them).
  bool clause_call(std::uint32_t i) const {
    return is(i + 1, token_kind::lparen) &&
           (kw(i, keyword_id("LEFT")) || kw(i, keyword_id("RIGHT")) ||
            kw(i, keyword_id("VALUES")) || kw(i, keyword_id("INSERT")));
  }
  // Whether [b, e) can be copied into another clause and read the same there: no clause
  // word (FROM, JOIN, USING, ...; not a call like LEFT(x, 3)), SELECT, WITH, AS or ';' outside
  // parentheses, no subquery.
  bool plain_expression(std::uint32_t b, std::uint32_t e) const {
    for (std::uint32_t i = b; i < e; ++i) {
      if (is(i, token_kind::lparen)) {
        if (kw(i + 1, keyword_id("SELECT")) || kw(i + 1, keyword_id("WITH")) ||
            is(i + 1, token_kind::lparen))
          return false;
        i = partner(i);
        continue;
      }
      if (is(i, token_kind::semicolon) || kw(i, keyword_id("SELECT")) ||
          kw(i, keyword_id("WITH")) || kw(i, keyword_id("AS")) ||
          (is(i, token_kind::identifier) && is_clause_word(tok(i).code) && !clause_call(i)))
        return false;
    }
    return true;
  }
  bool same_tokens(std::uint32_t b1, std::uint32_t e1, std::uint32_t b2, std::uint32_t e2) const;
  void split_commas(std::uint32_t b, std::uint32_t e,
                    std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) const;
  bool contains_aggregate(std::uint32_t b, std::uint32_t e) const;
  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }

  // ---- building ----
  column_slot add_hidden(std::string expr) {
    hidden_.push_back(std::move(expr));
    return {true, static_cast<std::int32_t>(hidden_.size() - 1)};
  }
  // The collation weights of text, for ordering and grouping exactly as the server does.
  // WEIGHT_STRING keeps trailing characters as they are, while PAD SPACE collations (all
  // but *_nopad_*) compare as if the shorter value were padded with spaces ('a\t' < 'a' =
  // 'a '): so the column carries the weight of a space in the value's collation too, as
  // one length byte, that weight, then the value's weights (see merge::weight_parts).
  static std::string weight_text(std::string_view expr) {
    const std::string space = "WEIGHT_STRING(CONCAT(LEFT(" + std::string(expr) + ", 0), ' '))";
    return "CONCAT(CHAR(LENGTH(" + space + ") USING binary), " + space + ", WEIGHT_STRING(" +
           std::string(expr) + "))";
  }
  column_slot weight_of(std::uint32_t b, std::uint32_t e) {
    return add_hidden(weight_text(slice(b, e)));
  }
  column_slot visible(std::size_t item) const { return {false, static_cast<std::int32_t>(item)}; }
  bool split_items();
  bool read_limit();
  // An aggregate call spanning exactly [b, e): registers it (output `out`, or hidden).
  // Returns its index, -1 if [b, e) is not one aggregate call, -2 after a failure.
  int aggregate_call(std::uint32_t b, std::uint32_t e, column_slot out);
  // A key expression [b, e) of ORDER BY / GROUP BY (or a HAVING operand): the item it
  // names (position, alias, or the same expression), or -1.
  int item_of(std::uint32_t b, std::uint32_t e, bool allow_position) const;
  bool plan_plain();
  bool plan_aggregate();
  bool key_list(std::uint32_t b, std::uint32_t e, bool group, std::vector<merge_key>& out);
  // HAVING parsing: returns the node index or -1 after a failure.
  int having_expr(std::uint32_t& i, std::uint32_t e, int level);
  int having_predicate(std::uint32_t& i, std::uint32_t e);
  int having_operand(std::uint32_t& i, std::uint32_t e);
  bool having_value(int node);
  int node(having_node n) {
    spec_.having.push_back(std::move(n));
    return static_cast<int>(spec_.having.size() - 1);
  }
  void write_sql(bool aggregate);

  const parsed_statement& p_;
  const select_shape& s_;
  merge_spec& spec_;
  std::string& sql_;
  std::string& why_;
  std::vector<select_item> items_;
  bool star_ = false;
  std::vector<std::string> hidden_;
  // COUNT(DISTINCT x): x's tokens (the shards group by it too).
  std::uint32_t distinct_b_ = 0, distinct_e_ = 0;
  bool no_backslash_escapes_ = false;
  int having_depth_ = 0;
};

bool planner::same_tokens(std::uint32_t b1, std::uint32_t e1, std::uint32_t b2,
                          std::uint32_t e2) const {
  if (e1 - b1 != e2 - b2) return false;
  for (std::uint32_t k = 0; k < e1 - b1; ++k) {
    const token& x = tok(b1 + k);
    const token& y = tok(b2 + k);
    const bool xn = x.kind == token_kind::identifier || x.kind == token_kind::quoted_identifier;
    const bool yn = y.kind == token_kind::identifier || y.kind == token_kind::quoted_identifier;
    if (xn && yn) {
      if (identifier_lower(text(b1 + k)) != identifier_lower(text(b2 + k))) return false;
      continue;
    }
    if (x.kind != y.kind || text(b1 + k) != text(b2 + k)) return false;
  }
  return true;
}

void planner::split_commas(std::uint32_t b, std::uint32_t e,
                           std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) const {
  out.clear();
  std::uint32_t start = b;
  for (std::uint32_t i = b; i < e;) {
    if (is(i, token_kind::lparen)) {
      i = partner(i) + 1;
      continue;
    }
    if (is(i, token_kind::comma)) {
      out.emplace_back(start, i);
      start = i + 1;
    }
    ++i;
  }
  out.emplace_back(start, e);
}

bool planner::contains_aggregate(std::uint32_t b, std::uint32_t e) const {
  for (std::uint32_t i = b; i < e; ++i) {
    if (is(i, token_kind::lparen) &&
        (kw(i + 1, keyword_id("SELECT")) || kw(i + 1, keyword_id("WITH")))) {
      i = partner(i);  // a subquery aggregates on its own
      continue;
    }
    if (is_aggregate_word(i)) return true;
  }
  return false;
}

bool planner::split_items() {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> parts;
  split_commas(s_.list_begin, s_.list_end, parts);
  for (auto [b, e] : parts) {
    if (b >= e) return fail("an empty select list item");
    select_item it;
    it.begin = b;
    it.end = e;
    it.expr_end = e;
    if ((e - b == 1 && op(b, operator_id("*"))) ||
        (e - b >= 3 && op(e - 1, operator_id("*")) && is(e - 2, token_kind::dot))) {
      it.star = true;
      star_ = true;
    } else if (e - b >= 3 && kw(e - 2, keyword_id("AS"))) {
      it.alias = identifier_lower(text(e - 1));
      it.expr_end = e - 2;
    } else if (e - b >= 2 &&
               (is(e - 1, token_kind::quoted_identifier) ||
                (is(e - 1, token_kind::identifier) && tok(e - 1).code == 0)) &&
               ends_expression(e - 2)) {
      it.alias = identifier_lower(text(e - 1));
      it.expr_end = e - 1;
    }
    if (!it.star && !plain_expression(it.begin, it.expr_end))
      return fail("a select list item with a subquery or clause word (" +
                  std::string(slice(it.begin, it.expr_end)) + ") in a merged SELECT");
    items_.push_back(std::move(it));
  }
  spec_.visible_items = star_ ? -1 : static_cast<std::int32_t>(items_.size());
  return true;
}

bool planner::read_limit() {
  if (s_.limit_begin == s_.limit_end) return true;
  auto number = [&](std::uint32_t i, std::uint64_t& v) {
    if (!is(i, token_kind::number)) return false;
    const std::string_view t = text(i);
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && ptr == t.data() + t.size();
  };
  const std::uint32_t b = s_.limit_begin, e = s_.limit_end;
  std::uint64_t a = 0, c = 0;
  bool ok = false;
  if (e - b == 1) {
    ok = number(b, c);
  } else if (e - b == 3 && is(b + 1, token_kind::comma)) {
    ok = number(b, a) && number(b + 2, c);
  } else if (e - b == 3 && kw(b + 1, keyword_id("OFFSET"))) {
    ok = number(b, c) && number(b + 2, a);
  }
  if (!ok)
    return fail("LIMIT " + std::string(slice(b, e)) +
                " (only LIMIT n, LIMIT o, n and LIMIT n OFFSET o with literal numbers)");
  spec_.has_limit = true;
  spec_.offset = a;
  spec_.count = c;
  return true;
}

int planner::item_of(std::uint32_t b, std::uint32_t e, bool allow_position) const {
  if (e - b == 1 && allow_position && is(b, token_kind::number)) {
    std::uint64_t pos = 0;
    const std::string_view t = text(b);
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), pos);
    if (ec != std::errc() || ptr != t.data() + t.size()) return -1;
    if (pos == 0 || pos > items_.size() || star_) return -1;
    return static_cast<int>(pos - 1);
  }
  if (e - b == 1 && (is(b, token_kind::identifier) || is(b, token_kind::quoted_identifier))) {
    const std::string name = identifier_lower(text(b));
    for (std::size_t k = 0; k < items_.size(); ++k)
      if (!items_[k].alias.empty() && items_[k].alias == name) return static_cast<int>(k);
  }
  for (std::size_t k = 0; k < items_.size(); ++k)
    if (!items_[k].star && same_tokens(b, e, items_[k].begin, items_[k].expr_end))
      return static_cast<int>(k);
  return -1;
}

int planner::aggregate_call(std::uint32_t b, std::uint32_t e, column_slot out) {
  if (!is_aggregate_word(b) || partner(b + 1) != e - 1) return -1;
  const sql::keyword word = tok(b).code;
  merge_aggregate a;
  a.text = std::string(slice(b, e));
  std::uint32_t ab = b + 2, ae = e - 1;  // the argument
  bool distinct = false;
  if (kw(ab, keyword_id("DISTINCT"))) {
    distinct = true;
    ++ab;
  } else if (kw(ab, keyword_id("ALL"))) {
    ++ab;
  }
  if (ab >= ae) {
    fail("an aggregate without an argument: " + a.text);
    return -2;
  }
  if (!plain_expression(ab, ae)) {
    fail("an unreadable aggregate argument: " + a.text);
    return -2;
  }
  if (contains_aggregate(ab, ae)) {
    fail("a nested aggregate: " + a.text);
    return -2;
  }
  const bool star_arg = ae - ab == 1 && op(ab, operator_id("*"));
  if (word == keyword_id("COUNT")) {
    a.kind = distinct ? aggregate_kind::count_distinct : aggregate_kind::count;
  } else if (word == keyword_id("SUM")) {
    a.kind = aggregate_kind::sum;
  } else if (word == keyword_id("AVG")) {
    a.kind = aggregate_kind::avg;
  } else if (word == keyword_id("MIN")) {
    a.kind = aggregate_kind::min;
    distinct = false;  // MIN(DISTINCT x) == MIN(x)
  } else if (word == keyword_id("MAX")) {
    a.kind = aggregate_kind::max;
    distinct = false;
  } else if (word == keyword_id("BIT_AND")) {
    a.kind = aggregate_kind::bit_and;
  } else if (word == keyword_id("BIT_OR")) {
    a.kind = aggregate_kind::bit_or;
  } else if (word == keyword_id("BIT_XOR")) {
    a.kind = aggregate_kind::bit_xor;
  } else {
    fail(std::string(text(b)) + "() (its partial results cannot be combined exactly)");
    return -2;
  }
  if (distinct && a.kind != aggregate_kind::count_distinct) {
    fail(a.text + " (only COUNT(DISTINCT x) is merged)");
    return -2;
  }
  if (star_arg && a.kind != aggregate_kind::count) {
    fail("an aggregate of *: " + a.text);
    return -2;
  }
  if (a.kind == aggregate_kind::sum || a.kind == aggregate_kind::avg) {
    for (std::uint32_t i = ab; i < ae; ++i)
      if (op(i, operator_id("/"))) {
        // Each shard's partial sum of a division arrives rounded to the result's scale;
        // adding rounded partials can miss the last digit.
        fail(a.text + " (a sum of a division: the shards' partial sums are rounded)");
        return -2;
      }
  }
  const std::string arg(slice(ab, ae));
  switch (a.kind) {
    case aggregate_kind::count:
    case aggregate_kind::sum:
    case aggregate_kind::bit_and:
    case aggregate_kind::bit_or:
    case aggregate_kind::bit_xor:
      a.output = a.partial = out.valid() ? out : add_hidden(a.text);
      break;
    case aggregate_kind::min:
    case aggregate_kind::max:
      a.output = a.partial = out.valid() ? out : add_hidden(a.text);
      a.weight = add_hidden(weight_text(a.text));
      break;
    case aggregate_kind::avg:
      a.partial = add_hidden("SUM(" + arg + ")");
      a.count = add_hidden("COUNT(" + arg + ")");
      a.output = out.valid() ? out : a.partial;
      break;
    case aggregate_kind::count_distinct: {
      std::vector<std::pair<std::uint32_t, std::uint32_t>> parts;
      split_commas(ab, ae, parts);
      if (parts.size() != 1) {
        fail(a.text + " (COUNT(DISTINCT) of several expressions)");
        return -2;
      }
      if (distinct_e_ != 0 && !same_tokens(ab, ae, distinct_b_, distinct_e_)) {
        fail("COUNT(DISTINCT) of two different expressions (" +
             std::string(slice(distinct_b_, distinct_e_)) + " and " + arg + ")");
        return -2;
      }
      distinct_b_ = ab;
      distinct_e_ = ae;
      a.output = out.valid() ? out : add_hidden(a.text);
      a.distinct_value = add_hidden(arg);
      a.distinct_weight = add_hidden(weight_text(arg));
      break;
    }
  }
  spec_.aggregates.push_back(std::move(a));
  return static_cast<int>(spec_.aggregates.size() - 1);
}

// ORDER BY / GROUP BY keys: [expr [ASC | DESC]], ...
bool planner::key_list(std::uint32_t b, std::uint32_t e, bool group, std::vector<merge_key>& out) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> parts;
  split_commas(b, e, parts);
  const bool aggregated = spec_.mode == merge_mode::aggregate;
  for (auto [kb, ke] : parts) {
    merge_key key;
    if (ke > kb && kw(ke - 1, keyword_id("DESC"))) {
      key.descending = true;
      --ke;
    } else if (ke > kb && kw(ke - 1, keyword_id("ASC"))) {
      --ke;
    }
    if (kb >= ke) return fail("an empty ORDER BY / GROUP BY key");
    if (!group && ke - kb == 1 && kw(kb, keyword_id("NULL"))) {
      if (parts.size() == 1) {
        spec_.order_by_null = true;
        return true;
      }
      continue;  // sorts nothing
    }
    if (is(ke - 1, token_kind::op))
      return fail("a key that ends with the operator '" + std::string(text(ke - 1)) + "'");
    if (!plain_expression(kb, ke))
      return fail(std::string(group ? "GROUP BY " : "ORDER BY ") + std::string(slice(kb, ke)) +
                  " (a subquery or clause word in a merged key)");
    if (is(kb, token_kind::number) && ke - kb == 1 && item_of(kb, ke, true) < 0)
      return fail(std::string(group ? "GROUP BY " : "ORDER BY ") + std::string(text(kb)) +
                  (star_ ? " (a position with SELECT *)" : " (no such select list column)"));
    const int item = item_of(kb, ke, true);
    if (item >= 0 && star_) {
      // After a `*` an item's column number is not known: sort by a copy of it.
      const select_item& it = items_[static_cast<std::size_t>(item)];
      key.value = add_hidden(std::string(slice(it.begin, it.expr_end)));
      key.weight = weight_of(it.begin, it.expr_end);
    } else if (item >= 0) {
      const select_item& it = items_[static_cast<std::size_t>(item)];
      if (it.aggregate >= 0) {
        if (group) return fail("GROUP BY an aggregate (" + std::string(slice(kb, ke)) + ")");
        const merge_aggregate& a = spec_.aggregates[static_cast<std::size_t>(it.aggregate)];
        key.value = a.output;
        key.weight = a.weight;  // min/max of text
      } else {
        if (aggregated && !group && contains_aggregate(it.begin, it.expr_end))
          return fail("ORDER BY an expression over an aggregate (" +
                      std::string(slice(it.begin, it.expr_end)) + ")");
        key.value = visible(static_cast<std::size_t>(item));
        key.weight = weight_of(it.begin, it.expr_end);
      }
    } else if (aggregated && !group) {
      const int a = aggregate_call(kb, ke, column_slot{});
      if (a == -2) return false;
      if (a >= 0) {
        // The same aggregate may already be computed for the select list.
        const merge_aggregate& agg = spec_.aggregates[static_cast<std::size_t>(a)];
        key.value = agg.output;
        key.weight = agg.weight;
      } else {
        if (contains_aggregate(kb, ke))
          return fail("ORDER BY an expression over an aggregate (" + std::string(slice(kb, ke)) +
                      ")");
        key.value = add_hidden(std::string(slice(kb, ke)));
        key.weight = weight_of(kb, ke);
      }
    } else {
      if (contains_aggregate(kb, ke))
        return fail(std::string(group ? "GROUP BY " : "ORDER BY ") + "an aggregate (" +
                    std::string(slice(kb, ke)) + ")");
      if (spec_.distinct && !aggregated)
        return fail("ORDER BY " + std::string(slice(kb, ke)) +
                    ", which is not in the SELECT DISTINCT list");
      key.value = add_hidden(std::string(slice(kb, ke)));
      key.weight = weight_of(kb, ke);
    }
    out.push_back(key);
  }
  return true;
}

bool planner::plan_plain() {
  if (spec_.distinct) {
    if (star_) return fail("SELECT DISTINCT * (name the columns)");
    for (std::size_t k = 0; k < items_.size(); ++k)
      spec_.distinct_keys.push_back(
          {visible(k), weight_of(items_[k].begin, items_[k].expr_end), false});
  }
  if (s_.order_end > s_.order_begin && !key_list(s_.order_begin, s_.order_end, false, spec_.order))
    return false;
  spec_.mode = spec_.order.empty() ? merge_mode::concat : merge_mode::sort;
  write_sql(false);
  return true;
}

bool planner::plan_aggregate() {
  spec_.mode = merge_mode::aggregate;
  if (star_) return fail("SELECT * with aggregates or GROUP BY (name the columns)");
  for (std::size_t k = 0; k < items_.size(); ++k) {
    select_item& it = items_[k];
    const int a = aggregate_call(it.begin, it.expr_end, visible(k));
    if (a == -2) return false;
    if (a >= 0) {
      it.aggregate = a;
    } else if (contains_aggregate(it.begin, it.expr_end)) {
      return fail("an expression over an aggregate (" + std::string(slice(it.begin, it.expr_end)) +
                  "); select the aggregate itself");
    }
  }
  if (s_.group_end > s_.group_begin && !key_list(s_.group_begin, s_.group_end, true, spec_.group))
    return false;
  if (s_.having_end > s_.having_begin) {
    std::uint32_t i = s_.having_begin;
    const int root = having_expr(i, s_.having_end, 0);
    if (root < 0) return false;
    if (i != s_.having_end)
      return fail("HAVING " + std::string(slice(s_.having_begin, s_.having_end)) +
                  " (only comparisons, IS NULL, BETWEEN, IN, AND, OR, NOT of aggregates, "
                  "select list columns and literals)");
    spec_.having_root = root;
  }
  if (s_.order_end > s_.order_begin && !key_list(s_.order_begin, s_.order_end, false, spec_.order))
    return false;
  if (spec_.group.empty() && spec_.aggregates.empty())
    return fail("HAVING without GROUP BY or an aggregate (write the condition in WHERE)");
  if (spec_.group.empty() && distinct_e_ > 0)
    for (const auto& it : items_)
      if (it.aggregate < 0)
        return fail("COUNT(DISTINCT) without GROUP BY next to a column that is not an aggregate (" +
                    std::string(slice(it.begin, it.expr_end)) + ")");
  if (spec_.distinct) {
    for (std::size_t k = 0; k < items_.size(); ++k) {
      const select_item& it = items_[k];
      merge_key key{visible(k), {}, false};
      if (it.aggregate >= 0)
        key.weight = spec_.aggregates[static_cast<std::size_t>(it.aggregate)].weight;
      else
        key.weight = weight_of(it.begin, it.expr_end);
      spec_.distinct_keys.push_back(key);
    }
  }
  write_sql(true);
  return true;
}

// ---- HAVING ----

int planner::having_expr(std::uint32_t& i, std::uint32_t e, int level) {
  // level 0: OR / ||, 1: XOR, 2: AND / &&
  if (spec_.having.size() > 256 || ++having_depth_ > 64) {
    fail("a HAVING clause this long or deep (over 256 terms or 64 levels)");
    return -1;
  }
  struct leave {
    int& depth;
    ~leave() { --depth; }
  } guard{having_depth_};
  if (level == 3) {
    // '!' binds tighter than a comparison (unlike NOT): `!(cond)` alone is NOT (cond), but
    // `!x > 5` or `!(x) = 1` compare the negation, which is not read here.
    const bool bang = i < e && op(i, operator_id("!"));
    if (bang && !(is(i + 1, token_kind::lparen) && partner(i + 1) < e &&
                  (partner(i + 1) + 1 == e || !is(partner(i + 1) + 1, token_kind::op)) &&
                  !kw(partner(i + 1) + 1, keyword_id("IS")) &&
                  !kw(partner(i + 1) + 1, keyword_id("BETWEEN")) &&
                  !kw(partner(i + 1) + 1, keyword_id("IN")) &&
                  !kw(partner(i + 1) + 1, keyword_id("NOT")))) {
      fail("'!' in HAVING other than !(condition) (write NOT)");
      return -1;
    }
    if (bang || (i < e && kw(i, keyword_id("NOT")))) {
      ++i;
      const int child = having_expr(i, e, 3);
      if (child < 0) return -1;
      having_node n;
      n.kind = having_node::op::not_;
      n.children.push_back(static_cast<std::uint32_t>(child));
      return node(std::move(n));
    }
    return having_predicate(i, e);
  }
  int left = having_expr(i, e, level + 1);
  if (left < 0) return -1;
  for (;;) {
    const bool match =
        i < e && ((level == 0 && (kw(i, keyword_id("OR")) || op(i, operator_id("||")))) ||
                  (level == 1 && kw(i, keyword_id("XOR"))) ||
                  (level == 2 && (kw(i, keyword_id("AND")) || op(i, operator_id("&&")))));
    if (!match) return left;
    ++i;
    const int right = having_expr(i, e, level + 1);
    if (right < 0) return -1;
    having_node n;
    n.kind = level == 0 ? having_node::op::or_
                        : (level == 1 ? having_node::op::xor_ : having_node::op::and_);
    n.children = {static_cast<std::uint32_t>(left), static_cast<std::uint32_t>(right)};
    left = node(std::move(n));
  }
}

// A HAVING operand that is a value (a column or a literal), not a condition in parentheses.
bool planner::having_value(int n) {
  if (n < 0) return false;
  const auto k = spec_.having[static_cast<std::size_t>(n)].kind;
  if (k == having_node::op::column || k == having_node::op::literal) return true;
  fail("a condition used as a value in HAVING (" +
       std::string(slice(s_.having_begin, s_.having_end)) + ")");
  return false;
}

int planner::having_predicate(std::uint32_t& i, std::uint32_t e) {
  const int left = having_operand(i, e);
  if (left < 0) return -1;
  const auto left_kind = spec_.having[static_cast<std::size_t>(left)].kind;
  if (left_kind != having_node::op::column && left_kind != having_node::op::literal && i < e &&
      (is(i, token_kind::op) || kw(i, keyword_id("IS")) || kw(i, keyword_id("BETWEEN")) ||
       kw(i, keyword_id("IN")) || kw(i, keyword_id("NOT")))) {
    fail("a condition used as a value in HAVING (" +
         std::string(slice(s_.having_begin, s_.having_end)) + ")");
    return -1;
  }
  having_node n;
  n.children.push_back(static_cast<std::uint32_t>(left));
  if (i < e && kw(i, keyword_id("IS"))) {
    ++i;
    if (i < e && kw(i, keyword_id("NOT"))) {
      n.negated = true;
      ++i;
    }
    if (!(i < e && kw(i, keyword_id("NULL")))) {
      fail("HAVING ... IS " + std::string(i < e ? text(i) : "") + " (only IS [NOT] NULL)");
      return -1;
    }
    ++i;
    n.kind = having_node::op::is_null;
    return node(std::move(n));
  }
  if (i < e && kw(i, keyword_id("NOT")) &&
      (kw(i + 1, keyword_id("BETWEEN")) || kw(i + 1, keyword_id("IN")))) {
    n.negated = true;
    ++i;
  }
  if (i < e && kw(i, keyword_id("BETWEEN"))) {
    ++i;
    const int lo = having_operand(i, e);
    if (!having_value(lo)) return -1;
    if (!(i < e && kw(i, keyword_id("AND")))) {
      fail("HAVING ... BETWEEN without AND");
      return -1;
    }
    ++i;
    const int hi = having_operand(i, e);
    if (!having_value(hi)) return -1;
    n.kind = having_node::op::between;
    n.children.push_back(static_cast<std::uint32_t>(lo));
    n.children.push_back(static_cast<std::uint32_t>(hi));
    return node(std::move(n));
  }
  if (i < e && kw(i, keyword_id("IN"))) {
    ++i;
    if (!(i < e && is(i, token_kind::lparen))) {
      fail("HAVING ... IN without a list");
      return -1;
    }
    const std::uint32_t close = partner(i);
    std::uint32_t j = i + 1;
    while (j < close) {
      const int v = having_operand(j, close);
      if (!having_value(v)) return -1;
      n.children.push_back(static_cast<std::uint32_t>(v));
      if (j < close) {
        if (!is(j, token_kind::comma)) {
          fail("HAVING ... IN (...) with an expression in the list");
          return -1;
        }
        ++j;
      }
    }
    i = close + 1;
    n.kind = having_node::op::in_list;
    return node(std::move(n));
  }
  static constexpr std::uint16_t compares[] = {
      operator_id("="), operator_id("<=>"), operator_id("<"),  operator_id("<="),
      operator_id(">"), operator_id(">="),  operator_id("<>"), operator_id("!=")};
  if (i < e && is(i, token_kind::op) &&
      std::find(std::begin(compares), std::end(compares), tok(i).code) != std::end(compares)) {
    n.compare_op = tok(i).code;
    ++i;
    const int right = having_operand(i, e);
    if (!having_value(right)) return -1;
    n.kind = having_node::op::compare;
    n.children.push_back(static_cast<std::uint32_t>(right));
    return node(std::move(n));
  }
  // A bare operand: true when non-zero.
  return left;
}

int planner::having_operand(std::uint32_t& i, std::uint32_t e) {
  if (i >= e) {
    fail("HAVING ends early");
    return -1;
  }
  having_node n;
  int result = -1;
  if (is(i, token_kind::lparen)) {
    const std::uint32_t close = partner(i);
    if (kw(i + 1, keyword_id("SELECT")) || kw(i + 1, keyword_id("WITH"))) {
      fail("a subquery in HAVING");
      return -1;
    }
    std::uint32_t j = i + 1;
    result = having_expr(j, close, 0);
    if (result < 0) return -1;
    if (j != close) {
      fail("HAVING " + std::string(slice(s_.having_begin, s_.having_end)) +
           " (arithmetic or functions in HAVING)");
      return -1;
    }
    i = close + 1;
  } else if (kw(i, keyword_id("NULL"))) {
    n.kind = having_node::op::literal;
    n.is_null = true;
    ++i;
    result = node(std::move(n));
  } else if (is(i, token_kind::number) ||
             (op(i, operator_id("-")) && i + 1 < e && is(i + 1, token_kind::number))) {
    n.kind = having_node::op::literal;
    if (op(i, operator_id("-"))) {
      n.text = "-";
      ++i;
    }
    n.text += text(i);
    ++i;
    result = node(std::move(n));
  } else if (is(i, token_kind::string)) {
    const std::string_view t = text(i);
    if (t.front() != '\'' && t.front() != '"') {
      fail("a string with a character set introducer in HAVING");
      return -1;
    }
    n.kind = having_node::op::literal;
    n.string_literal = true;
    if (!sql::string_value(t, n.text, no_backslash_escapes_)) {
      fail("an unreadable string in HAVING");
      return -1;
    }
    ++i;
    result = node(std::move(n));
  } else if (kw(i, keyword_id("TRUE")) || kw(i, keyword_id("FALSE"))) {
    n.kind = having_node::op::literal;
    n.text = kw(i, keyword_id("TRUE")) ? "1" : "0";
    ++i;
    result = node(std::move(n));
  } else if (is_aggregate_word(i)) {
    const std::uint32_t end = partner(i + 1) + 1;
    // The same aggregate as a select list item reuses its column.
    int a = -1;
    for (std::size_t k = 0; k < items_.size() && a < 0; ++k)
      if (items_[k].aggregate >= 0 && same_tokens(i, end, items_[k].begin, items_[k].expr_end))
        a = items_[k].aggregate;
    if (a < 0) a = aggregate_call(i, end, column_slot{});
    if (a < 0) {
      if (a == -1) fail("HAVING " + std::string(slice(i, end)));
      return -1;
    }
    n.kind = having_node::op::column;
    n.column = spec_.aggregates[static_cast<std::size_t>(a)].output;
    i = end;
    result = node(std::move(n));
  } else if (is(i, token_kind::identifier) || is(i, token_kind::quoted_identifier)) {
    std::uint32_t end = i + 1;
    while (end + 1 < e && is(end, token_kind::dot) &&
           (is(end + 1, token_kind::identifier) || is(end + 1, token_kind::quoted_identifier)))
      end += 2;
    if (is(end, token_kind::lparen)) {
      fail("a function call in HAVING (" + std::string(text(i)) + "(...))");
      return -1;
    }
    const int item = item_of(i, end, false);
    n.kind = having_node::op::column;
    if (item >= 0) {
      const select_item& it = items_[static_cast<std::size_t>(item)];
      n.column = it.aggregate >= 0 ? spec_.aggregates[static_cast<std::size_t>(it.aggregate)].output
                                   : visible(static_cast<std::size_t>(item));
    } else {
      n.column = add_hidden(std::string(slice(i, end)));  // a grouped column: first row's value
    }
    i = end;
    result = node(std::move(n));
  } else {
    fail("HAVING " + std::string(slice(s_.having_begin, s_.having_end)) + " (near '" +
         std::string(text(i)) + "')");
    return -1;
  }
  if (i < e && is(i, token_kind::op)) {
    const std::uint16_t c = tok(i).code;
    if (c == operator_id("+") || c == operator_id("-") || c == operator_id("*") ||
        c == operator_id("/") || c == operator_id("%") || c == operator_id("^") ||
        c == operator_id("&") || c == operator_id("|") || c == operator_id("<<") ||
        c == operator_id(">>")) {
      fail("arithmetic in HAVING (" + std::string(slice(s_.having_begin, s_.having_end)) + ")");
      return -1;
    }
  }
  if (i < e && (kw(i, keyword_id("DIV")) || kw(i, keyword_id("MOD")))) {
    fail("arithmetic in HAVING (" + std::string(slice(s_.having_begin, s_.having_end)) + ")");
    return -1;
  }
  return result;
}

// ---- the shards' statement ----

void planner::write_sql(bool aggregate) {
  sql_.clear();
  sql_.append(slice(0, s_.list_end));
  for (std::size_t k = 0; k < hidden_.size(); ++k) {
    sql_ += ", ";
    sql_ += hidden_[k];
    sql_ += " AS `__sg";
    sql_ += std::to_string(k);
    sql_ += '`';
  }
  spec_.hidden = static_cast<std::int32_t>(hidden_.size());
  if (s_.body_end > s_.body_begin) {
    sql_ += ' ';
    sql_.append(slice(s_.body_begin, s_.body_end));
  }
  const bool grouped = s_.group_end > s_.group_begin;
  if (grouped || distinct_e_ > 0) {
    sql_ += " GROUP BY ";
    if (grouped) sql_.append(slice(s_.group_begin, s_.group_end));
    if (distinct_e_ > 0) {
      if (grouped) sql_ += ", ";
      sql_.append(slice(distinct_b_, distinct_e_));
    }
  }
  if (aggregate) {
    // The proxy groups again and sorts the groups: spare the shards the sort.
    if (grouped || distinct_e_ > 0) sql_ += " ORDER BY NULL";
  } else {
    if (s_.order_end > s_.order_begin) {
      sql_ += " ORDER BY ";
      sql_.append(slice(s_.order_begin, s_.order_end));
    }
    if (spec_.has_limit) {
      // Each shard sends its first offset + count rows; the proxy skips the offset.
      const std::uint64_t n = spec_.count > std::numeric_limits<std::uint64_t>::max() - spec_.offset
                                  ? std::numeric_limits<std::uint64_t>::max()
                                  : spec_.offset + spec_.count;
      sql_ += " LIMIT ";
      sql_ += std::to_string(n);
    }
  }
  if (s_.tail_end > s_.tail_begin) {
    sql_ += ' ';
    sql_.append(slice(s_.tail_begin, s_.tail_end));
  }
}

bool planner::run() {
  no_backslash_escapes_ = p_.no_backslash_escapes;
  // Text is appended after these clauses: one that ends in an operator (invalid SQL anyway)
  // could join with it ('-' then ' ' makes a '-- ' comment).
  for (std::uint32_t end : {s_.list_end, s_.body_end, s_.group_end, s_.order_end}) {
    if (end == 0) continue;
    const std::uint32_t last = end - 1;
    if (is(last, token_kind::op) && !op(last, operator_id("*")))
      return fail("a clause that ends with the operator '" + std::string(text(last)) + "'");
  }
  if (!s_.simple) return fail("this form of SELECT (a parenthesised query)");
  if (p_.executable_comments) return fail("executable comments (/*! ... */) in a merged SELECT");
  if (s_.rollup) return fail("GROUP BY ... WITH ROLLUP");
  for (std::uint32_t i = s_.group_begin; i + 1 < s_.group_end; ++i)
    if (kw(i, keyword_id("WITH")) && is(i + 1, token_kind::identifier) &&
        identifier_lower(text(i + 1)) == "rollup")
      return fail("GROUP BY ... WITH ROLLUP");
  if (!split_items()) return false;
  if (!read_limit()) return false;
  spec_.distinct = s_.distinct;
  bool aggregated = s_.group_end > s_.group_begin || s_.having_end > s_.having_begin;
  for (const auto& it : items_)
    if (!it.star && contains_aggregate(it.begin, it.expr_end)) aggregated = true;
  if (!aggregated && s_.order_end > s_.order_begin &&
      contains_aggregate(s_.order_begin, s_.order_end))
    aggregated = true;
  return aggregated ? plan_aggregate() : plan_plain();
}

}  // namespace

bool plan_scatter_merge(const parsed_statement& parsed, merge_spec& spec, std::string& shard_sql,
                        std::string& why) {
  spec.clear();
  planner p(parsed, spec, shard_sql, why);
  return p.run();
}

}  // namespace shardgate::routing
