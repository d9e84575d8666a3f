#include "routing/statement_parser.hpp"

#include <algorithm>
#include <array>

namespace shardgate::routing {

using sql::statement_kind;
using sql::token;
using sql::token_kind;

void parsed_statement::clear() {
  text = {};
  kind = statement_kind::empty;
  multiple = false;
  readable = true;
  executable_comments = false;
  no_backslash_escapes = false;
  unreadable = "";
  tokens.clear();
  tables.clear();
  key_joins.clear();
  hint_shard = {};
  hint_writer = false;
  scatter_blocker = nullptr;
  merge_needed = nullptr;
  select = {};
  assigns_key = false;
  assigned_key_literal = false;
  assigned_key = {};
  order_or_limit = false;
  insert_values = insert_set = insert_select = insert_has_columns = false;
  key_column = -1;
  rows_start = rows_end = 0;
  rows.clear();
  ddl_object = {};
  ddl_database.clear();
  explained = statement_kind::empty;
  key_terms.clear();
  term_arena.clear();
}

std::string identifier_lower(std::string_view text) {
  std::string s = sql::identifier_value(text);
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

namespace {

// Case-insensitive equality of an identifier token's (unquoted) text and a lower-case name,
// without allocating for plain identifiers.
bool ident_equals(const token& t, std::string_view sql, std::string_view lower_name) {
  std::string_view text = t.text(sql);
  if (t.kind == token_kind::quoted_identifier) {
    if (text.find("``") != std::string_view::npos) return identifier_lower(text) == lower_name;
    text = text.substr(1, text.size() - 2);
  } else if (t.kind != token_kind::identifier) {
    return false;
  }
  if (text.size() != lower_name.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_name[i]) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 19> aggregate_functions = {
    "COUNT",          "SUM",      "AVG",     "MIN",      "MAX",           "GROUP_CONCAT",
    "BIT_AND",        "BIT_OR",   "BIT_XOR", "STD",      "STDDEV",        "STDDEV_POP",
    "STDDEV_SAMP",    "VARIANCE", "VAR_POP", "VAR_SAMP", "JSON_ARRAYAGG", "JSON_OBJECTAGG",
    "PERCENTILE_CONT"};

// Functions whose value depends on the connection that runs them.
constexpr std::array<std::string_view, 6> session_functions = {
    "LAST_INSERT_ID", "FOUND_ROWS", "ROW_COUNT", "CONNECTION_ID", "NEXTVAL", "LASTVAL"};

// Words that end a table reference (never an alias).
constexpr std::array<std::string_view, 40> table_ref_stops = {
    "WHERE",     "ON",        "USING",         "JOIN",   "INNER",   "LEFT",      "RIGHT",
    "CROSS",     "NATURAL",   "STRAIGHT_JOIN", "GROUP",  "ORDER",   "HAVING",    "LIMIT",
    "UNION",     "EXCEPT",    "INTERSECT",     "FOR",    "LOCK",    "INTO",      "WINDOW",
    "SET",       "PARTITION", "USE",           "IGNORE", "FORCE",   "VALUES",    "VALUE",
    "RETURNING", "FULL",      "OUTER",         "SELECT", "LATERAL", "PROCEDURE", "FETCH",
    "OFFSET",    "AS",        "DUPLICATE",     "KEY",    "TABLE"};

// Clause keywords that end an expression at paren depth 0.
constexpr std::array<std::string_view, 27> clause_words = {
    "FROM",          "WHERE",     "GROUP",  "HAVING",    "ORDER",     "LIMIT",  "UNION",
    "EXCEPT",        "INTERSECT", "INTO",   "FOR",       "LOCK",      "WINDOW", "ON",
    "USING",         "JOIN",      "INNER",  "LEFT",      "RIGHT",     "CROSS",  "NATURAL",
    "STRAIGHT_JOIN", "SET",       "VALUES", "RETURNING", "PROCEDURE", "FETCH"};

// What a keyword is to the parser: flags by keyword id, filled once from the lists above.
enum word_flag : std::uint8_t {
  w_clause = 1,
  w_aggregate = 2,
  w_session = 4,
  w_table_stop = 8,
};

// A listed word missing from sql/keywords.hpp would never match: refused at compile time.
constexpr std::array<std::uint8_t, sql::keyword_count> make_word_flags() {
  std::array<std::uint8_t, sql::keyword_count> flags{};
  auto add = [&](auto const& list, std::uint8_t flag) {
    for (std::string_view w : list) {
      std::size_t k = 1;
      while (k < sql::keyword_count && sql::keyword_words[k] != w) ++k;
      if (k == sql::keyword_count) throw "a listed word is not in sql::keyword_words";
      flags[k] |= flag;
    }
  };
  add(clause_words, w_clause);
  add(aggregate_functions, w_aggregate);
  add(session_functions, w_session);
  add(table_ref_stops, w_table_stop);
  return flags;
}
constexpr std::array<std::uint8_t, sql::keyword_count> word_flags = make_word_flags();

std::uint8_t flags_of(const token& t) {
  return t.kind == token_kind::identifier ? word_flags[t.code] : 0;
}

// A keyword argument of parser::kw: the id of an upper-case literal, found at compile time.
struct kw_arg {
  sql::keyword id;
  consteval kw_arg(const char* upper) : id(sql::keyword_id(upper)) {}  // NOLINT: implicit
};
struct op_arg {
  std::uint16_t id;
  consteval op_arg(const char* text) : id(sql::operator_id(text)) {}  // NOLINT: implicit
};

// A key set under construction: `any`, or terms [begin, begin+count) of the arena.
struct cset {
  bool any = true;
  std::uint32_t begin = 0;
  std::uint32_t count = 0;
  bool from_in = false;
  std::uint32_t in_open = 0;
  std::uint32_t in_close = 0;
};

struct operand {
  enum kind_t : std::uint8_t { other, column, literal, boolean } kind = other;
  literal_ref lit;
  std::uint32_t first = 0;  // column: tokens [first, last] (q.q.col)
  std::uint32_t last = 0;
  cset set;  // boolean
};

class parser {
 public:
  parser(const config::config& cfg, const parse_options& opt, parsed_statement& out)
      : cfg_(cfg), opt_(opt), out_(out), sql_(out.text) {}

  void run();

 private:
  // ---- tokens ----
  const token& tok(std::uint32_t i) const { return out_.tokens[std::min<std::size_t>(i, n_)]; }
  std::string_view text(std::uint32_t i) const { return tok(i).text(sql_); }
  bool kw(std::uint32_t i, kw_arg k) const {
    const token& t = tok(i);
    return t.kind == token_kind::identifier && t.code == k.id;
  }
  bool is(std::uint32_t i, token_kind k) const { return tok(i).kind == k; }
  bool op(std::uint32_t i, op_arg o) const {
    const token& t = tok(i);
    return t.kind == token_kind::op && t.code == o.id;
  }
  bool at_end(std::uint32_t i) const {
    return i >= n_ || is(i, token_kind::semicolon) || is(i, token_kind::end);
  }
  bool is_name(std::uint32_t i) const {
    return is(i, token_kind::identifier) || is(i, token_kind::quoted_identifier);
  }
  std::uint32_t partner(std::uint32_t i) const { return out_.paren_partner[i]; }
  void fail(const char* why) {
    if (out_.readable) {
      out_.readable = false;
      out_.unreadable = why;
    }
  }
  void block(const char* what, bool nested) {
    if (!nested && !out_.scatter_blocker) out_.scatter_blocker = what;
  }
  // A construct the scatter-gather merge can answer (ORDER BY, LIMIT, aggregates, ...).
  void mergeable(const char* what, bool nested) {
    if (!nested && !out_.merge_needed) out_.merge_needed = what;
  }

  bool lex();
  void find_conditional_comments();
  // Whether tokens [first, end) overlap a version-conditional executable comment.
  bool conditional(std::uint32_t first, std::uint32_t end) const;
  bool starts_query(std::uint32_t i) const;

  // ---- structure ----
  void parse_query(std::uint32_t& i, bool nested);
  void parse_query_term(std::uint32_t& i, bool nested);
  void parse_select_body(std::uint32_t& i, bool nested);
  void parse_table_references(std::uint32_t& i, bool nested);
  void parse_table_factor(std::uint32_t& i, bool nested);
  void using_joins(std::uint32_t left_begin, std::uint32_t right_begin, std::uint32_t b,
                   std::uint32_t e);
  std::uint32_t parse_table_name(std::uint32_t& i, bool nested);
  void parse_alias(std::uint32_t& i, std::uint32_t ref);
  void skip_index_hints(std::uint32_t& i);
  // Skips an expression (or list) up to a clause keyword / ')' / ';' at depth 0, parsing
  // any subquery inside for its tables and noting constructs that block a scatter.
  // `stop_at_comma`: in a table reference list (ON ..., SYSTEM_TIME ...) a ',' at depth 0
  // starts the next table reference.
  void skip_expr(std::uint32_t& i, bool nested, bool in_select_list = false,
                 bool stop_at_comma = false);
  void skip_paren(std::uint32_t& i, bool nested, bool in_select_list);
  void skip_order_or_limit(std::uint32_t& i, bool nested, select_shape* shape = nullptr);
  void parse_insert(std::uint32_t i);
  void parse_update(std::uint32_t i);
  void parse_write_tail(std::uint32_t& i);
  void parse_returning(std::uint32_t& i);
  void parse_delete(std::uint32_t i);
  void parse_ddl(std::uint32_t i);
  void parse_show(std::uint32_t i);
  void parse_assignments(std::uint32_t& i, bool nested);
  void mark_all_sharded_names(std::uint32_t from);

  // ---- key conditions ----
  void evaluate_keys();
  cset eval_or(std::uint32_t& i, std::uint32_t end, bool top);
  cset eval_and(std::uint32_t& i, std::uint32_t end, bool top);
  cset eval_not(std::uint32_t& i, std::uint32_t end, bool top);
  cset eval_predicate(std::uint32_t& i, std::uint32_t end, bool top);
  operand eval_operand(std::uint32_t& i, std::uint32_t end);
  operand eval_primary(std::uint32_t& i, std::uint32_t end);
  bool literal_at(std::uint32_t& i, std::uint32_t end, literal_ref& lit);
  // Which top-level sharded table's key a column reference is (-1: none).
  int key_owner(const operand& col) const;
  bool column_is_key_of(const operand& col, std::uint32_t ref) const;
  cset point(const literal_ref& lit);
  cset unite(const cset& a, const cset& b);

  const config::config& cfg_;
  const parse_options& opt_;
  parsed_statement& out_;
  std::string_view sql_;
  std::uint32_t n_ = 0;
  const config::schema_config* current_schema_ = nullptr;
  std::vector<std::string> cte_names_;
  // Ranges [begin, end) of top-level WHERE and ON clauses.
  std::uint32_t where_begin_ = 0, where_end_ = 0;
  bool has_where_ = false;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> on_ranges_;
  std::uint32_t target_ = 0;  // the table whose key is being evaluated
  bool collect_joins_ = false;
  // Byte spans of the bodies of version-conditional executable comments (/*!50700 ... */,
  // /*M! ... */): the server runs them or not depending on its version and flavour, so a
  // key condition or an INSERT row inside one cannot be trusted. Usually empty.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> conditional_;
};

bool parser::lex() {
  sql::lexer lx(sql_, opt_.no_backslash_escapes);
  const sql::tokenize_result r = lx.tokenize(out_.tokens);
  if (r.last_hint.kind == token_kind::hint) {
    // /* shardgate: shard=NAME */
    std::string_view h = r.last_hint.text(sql_);
    for (auto w = h.find("writer"); w != std::string_view::npos; w = h.find("writer", w + 1)) {
      auto word_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      };
      if ((w == 0 || !word_char(h[w - 1])) && (w + 6 >= h.size() || !word_char(h[w + 6])))
        out_.hint_writer = true;
    }
    auto pos = h.find("shard=");
    if (pos != std::string_view::npos) {
      std::size_t b = pos + 6, e = b;
      while (e < h.size() && (std::isalnum(static_cast<unsigned char>(h[e])) || h[e] == '_' ||
                              h[e] == '-' || h[e] == '.'))
        ++e;
      out_.hint_shard = h.substr(b, e - b);
    }
  }
  if (r.error) fail("the lexer met text it cannot read (an unterminated string or comment?)");
  out_.executable_comments = r.executable_comments;
  out_.no_backslash_escapes = opt_.no_backslash_escapes;
  out_.tokens.push_back(token{token_kind::end, 0, r.stop.offset, 0});
  n_ = static_cast<std::uint32_t>(out_.tokens.size() - 1);
  // Match parentheses once (partner() is only read for parentheses: the rest of the
  // vector may hold stale values), and see whether more statements follow a ';'.
  if (out_.paren_partner.size() < out_.tokens.size()) out_.paren_partner.resize(out_.tokens.size());
  std::uint32_t stack[256];
  std::uint32_t depth = 0;
  for (std::uint32_t i = 0; i < n_; ++i) {
    if (is(i, token_kind::semicolon)) {
      if (!is(i + 1, token_kind::semicolon) && i + 1 < n_) out_.multiple = true;
    } else if (is(i, token_kind::lparen)) {
      if (depth == 256) {
        fail("parentheses nested deeper than 256");
        return false;
      }
      stack[depth++] = i;
    } else if (is(i, token_kind::rparen)) {
      if (depth == 0) {
        fail("unbalanced parentheses");
        return false;
      }
      const std::uint32_t open = stack[--depth];
      out_.paren_partner[open] = i;
      out_.paren_partner[i] = open;
    }
  }
  if (depth != 0) {
    fail("unbalanced parentheses");
    return false;
  }
  if (out_.readable && r.executable_comments) find_conditional_comments();
  return out_.readable;
}

// The lexer reads the content of every executable comment as SQL; here the text it skipped
// between tokens is read again (as the lexer did) to find which of those comments carry a
// version (/*!NNNNN) or a MariaDB marker (/*M!), whose content may not run at all.
void parser::find_conditional_comments() {
  std::uint64_t stack = 0;  // bit k: the k-th open executable comment is conditional
  int depth = 0;
  std::uint32_t span_begin = 0;
  const std::size_t size = sql_.size();
  auto active = [&] {
    return depth > 64 || (stack & (depth == 64 ? ~0ull : ((1ull << depth) - 1))) != 0;
  };
  std::size_t from = 0;
  for (std::uint32_t t = 0; t <= n_; ++t) {
    const std::size_t to = std::min<std::size_t>(out_.tokens[t].offset, size);
    for (std::size_t p = from; p < to;) {
      const char c = sql_[p];
      if (c == '#' || (c == '-' && p + 1 < to && sql_[p + 1] == '-')) {
        const std::size_t nl = sql_.find('\n', p);
        p = nl == std::string_view::npos ? to : nl;
      } else if (c == '/' && p + 1 < to && sql_[p + 1] == '*') {
        const bool mariadb = p + 3 < to && sql_[p + 2] == 'M' && sql_[p + 3] == '!';
        if (mariadb || (p + 2 < to && sql_[p + 2] == '!')) {
          p += mariadb ? 4 : 3;
          bool versioned = mariadb;
          while (p < to && sql_[p] >= '0' && sql_[p] <= '9') {
            versioned = true;
            ++p;
          }
          const bool was_active = active();
          if (depth < 64 && versioned) stack |= 1ull << depth;
          ++depth;
          if (!was_active && active()) span_begin = static_cast<std::uint32_t>(p);
        } else {
          const std::size_t close = sql_.find("*/", p + 2);
          p = close == std::string_view::npos ? to : close + 2;
        }
      } else if (c == '*' && depth > 0 && p + 1 < to && sql_[p + 1] == '/') {
        const bool was_active = active();
        --depth;
        if (depth < 64) stack &= ~(1ull << depth);
        if (was_active && !active())
          conditional_.emplace_back(span_begin, static_cast<std::uint32_t>(p));
        p += 2;
      } else {
        ++p;
      }
    }
    from = std::min<std::size_t>(out_.tokens[t].offset + out_.tokens[t].length, size);
  }
  if (active()) conditional_.emplace_back(span_begin, static_cast<std::uint32_t>(size));
}

bool parser::conditional(std::uint32_t first, std::uint32_t end) const {
  if (conditional_.empty()) return false;
  for (std::uint32_t k = first; k < end && k < n_; ++k)
    for (auto [cb, ce] : conditional_)
      if (tok(k).offset >= cb && tok(k).offset < ce) return true;
  return false;
}

bool parser::starts_query(std::uint32_t i) const {
  while (is(i, token_kind::lparen)) ++i;
  return kw(i, "SELECT") || kw(i, "WITH") || kw(i, "VALUES") || (kw(i, "TABLE") && is_name(i + 1));
}

void parser::run() {
  if (!lex()) return;
  std::uint32_t i = 0;
  while (is(i, token_kind::lparen)) ++i;
  if (at_end(i)) {
    out_.kind = statement_kind::empty;
    return;
  }
  current_schema_ = opt_.current_schema_resolved ? opt_.current_schema_config
                                                 : cfg_.find_schema_ci(opt_.current_schema);
  out_.kind =
      is(i, token_kind::identifier) ? sql::kind_of_keyword(tok(i).code) : statement_kind::other;
  switch (out_.kind) {
    case statement_kind::select: {
      std::uint32_t j = 0;
      parse_query(j, false);
      if (!at_end(j)) fail("unexpected text after the query");
      if (out_.select.simple) out_.select.tail_end = j;
      break;
    }
    case statement_kind::insert:
    case statement_kind::replace:
      parse_insert(i + 1);
      break;
    case statement_kind::update:
      parse_update(i + 1);
      break;
    case statement_kind::delete_:
      parse_delete(i + 1);
      break;
    case statement_kind::ddl:
      parse_ddl(i);
      break;
    case statement_kind::show:
      parse_show(i);
      break;
    case statement_kind::call:
    case statement_kind::set:
    case statement_kind::other:
      // A procedure, SET (...subquery), LOCK TABLES, LOAD DATA, HANDLER ...: whatever
      // sharded table they name must be seen by the router.
      mark_all_sharded_names(i + 1);
      break;
    default:
      break;
  }
  if (out_.readable) evaluate_keys();
}

// ---- structure ---------------------------------------------------------------------

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

// ---- key conditions ----------------------------------------------------------------

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

}  // namespace

bool word_is(const parsed_statement& p, std::size_t i, std::string_view upper) noexcept {
  return i < p.tokens.size() && p.tokens[i].kind == sql::token_kind::identifier &&
         sql::is_keyword(p.token_text(static_cast<std::uint32_t>(i)), upper);
}

void parse_statement(std::string_view sql, const config::config& cfg, const parse_options& options,
                     parsed_statement& out) {
  out.clear();
  out.text = sql;
  parser p(cfg, options, out);
  p.run();
}

bool is_aggregate_function(sql::keyword k) noexcept {
  return k < sql::keyword_count && (word_flags[k] & w_aggregate);
}

bool is_clause_word(sql::keyword k) noexcept {
  return k < sql::keyword_count && (word_flags[k] & w_clause);
}

}  // namespace shardgate::routing
