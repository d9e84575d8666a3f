// The statement parser's internals (routing/statement_parser.hpp is the interface): the
// parser class and the keyword tables it reads. Its definitions are split by statement
// family: statement_parser.cpp (lexing, dispatch, the public functions),
// parser/select_structure.cpp (queries, table references, expressions),
// parser/write_statements.cpp (INSERT / UPDATE / DELETE / assignments),
// parser/ddl_show.cpp (DDL and SHOW), parser/key_conditions.cpp (reading shard-key values
// out of WHERE / ON). Included by those files only.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/statement_parser.hpp"

namespace shardgate::routing::detail {

using sql::statement_kind;
using sql::token;
using sql::token_kind;

// Case-insensitive equality of an identifier token's (unquoted) text and a lower-case name,
// without allocating for plain identifiers.
inline bool ident_equals(const token& t, std::string_view sql, std::string_view lower_name) {
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

inline constexpr std::array<std::string_view, 19> aggregate_functions = {
    "COUNT",          "SUM",      "AVG",     "MIN",      "MAX",           "GROUP_CONCAT",
    "BIT_AND",        "BIT_OR",   "BIT_XOR", "STD",      "STDDEV",        "STDDEV_POP",
    "STDDEV_SAMP",    "VARIANCE", "VAR_POP", "VAR_SAMP", "JSON_ARRAYAGG", "JSON_OBJECTAGG",
    "PERCENTILE_CONT"};

// Functions whose value depends on the connection that runs them.
inline constexpr std::array<std::string_view, 6> session_functions = {
    "LAST_INSERT_ID", "FOUND_ROWS", "ROW_COUNT", "CONNECTION_ID", "NEXTVAL", "LASTVAL"};

// Words that end a table reference (never an alias).
inline constexpr std::array<std::string_view, 40> table_ref_stops = {
    "WHERE",     "ON",        "USING",         "JOIN",   "INNER",   "LEFT",      "RIGHT",
    "CROSS",     "NATURAL",   "STRAIGHT_JOIN", "GROUP",  "ORDER",   "HAVING",    "LIMIT",
    "UNION",     "EXCEPT",    "INTERSECT",     "FOR",    "LOCK",    "INTO",      "WINDOW",
    "SET",       "PARTITION", "USE",           "IGNORE", "FORCE",   "VALUES",    "VALUE",
    "RETURNING", "FULL",      "OUTER",         "SELECT", "LATERAL", "PROCEDURE", "FETCH",
    "OFFSET",    "AS",        "DUPLICATE",     "KEY",    "TABLE"};

// Clause keywords that end an expression at paren depth 0.
inline constexpr std::array<std::string_view, 27> clause_words = {
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
inline constexpr std::array<std::uint8_t, sql::keyword_count> word_flags = make_word_flags();

inline std::uint8_t flags_of(const token& t) {
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
  // `out` holds the statement's text and tokens (lex_statement); `lexed` what the lexer met.
  parser(const config::config& cfg, const parse_options& opt, const sql::tokenize_result& lexed,
         parsed_statement& out)
      : cfg_(cfg), opt_(opt), r_(lexed), out_(out), sql_(out.text) {}

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

  // Reads what the lexer met (hints, errors) and matches parentheses.
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
  const sql::tokenize_result& r_;
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

}  // namespace shardgate::routing::detail
