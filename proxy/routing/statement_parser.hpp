// The routing parser: reads one SQL statement (tokens from sql::lexer) far enough to
// route it - its kind, every table it names (in subqueries, derived tables, CTEs and
// UNION branches too), what its WHERE says about each sharded table's shard key, the rows
// of an INSERT and the columns an UPDATE assigns - and nothing more. Whatever it cannot
// read exactly becomes "cannot tell" (any key), never a guess.
//
// Pure: no I/O. A parsed_statement is meant to be reused: clear() keeps its capacity, so
// steady-state parsing allocates nothing per token.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sql/classify.hpp"
#include "sql/lexer.hpp"

namespace shardgate::routing {

// A literal in the statement: a number, string or hex-string token (or NULL).
struct literal_ref {
  std::uint32_t token = 0;
  bool negative = false;  // a unary minus stood before a number
  bool is_null = false;
};

// The key equals `lo` (a point) or lies between `lo` and `hi` (BETWEEN, inclusive).
struct key_term {
  literal_ref lo;
  literal_ref hi;
  bool range = false;
};

// What a WHERE clause says about one table's shard key: `any` (no restriction, or one
// ShardGate cannot read), or "the key is one of `terms`" - an empty list means no row
// can match (e.g. `key = NULL`).
struct key_constraint {
  bool any = true;
  // The terms: parsed_statement::key_terms[terms_begin, terms_begin + terms_count)
  // (see parsed_statement::terms).
  std::uint32_t terms_begin = 0;
  std::uint32_t terms_count = 0;
  // The terms are exactly one `key IN (...)` list, ANDed at the top of the WHERE: its
  // parentheses (token indexes), so each shard can be sent only its own keys.
  bool from_in_list = false;
  std::uint32_t in_open = 0;
  std::uint32_t in_close = 0;

  void reset() {
    any = true;
    terms_count = 0;
    from_in_list = false;
  }
};

struct table_ref {
  std::string schema;  // lower case; empty = the session's current schema
  std::string name;    // lower case
  std::string alias;   // lower case; empty if none
  const config::schema_config* schema_config = nullptr;  // configured schema, if any
  const config::table_config* table = nullptr;           // null: an unsharded table
  bool nested = false;  // in a subquery, derived table, CTE or UNION branch
  key_constraint keys;  // top-level sharded tables only
};

// One row of INSERT ... VALUES: its parentheses and the shard-key value.
struct insert_row {
  std::uint32_t open = 0;   // token index of '('
  std::uint32_t close = 0;  // token index of ')'
  bool key_is_literal = false;
  literal_ref key;
};

// Where the clauses of a top-level SELECT are (token indexes, half-open ranges). Filled
// for a statement that is one plain SELECT (no WITH, UNION or parenthesised query), so the
// scatter-gather planner can rewrite it clause by clause.
struct select_shape {
  bool simple = false;
  bool distinct = false;         // SELECT DISTINCT / DISTINCTROW
  std::uint32_t list_begin = 0;  // the select list
  std::uint32_t list_end = 0;
  std::uint32_t body_begin = 0;  // FROM ... WHERE ... (empty range: no FROM)
  std::uint32_t body_end = 0;
  std::uint32_t group_begin = 0;  // the expressions after GROUP BY (empty: none)
  std::uint32_t group_end = 0;
  bool rollup = false;
  std::uint32_t having_begin = 0;  // the condition after HAVING
  std::uint32_t having_end = 0;
  std::uint32_t order_begin = 0;  // the keys after ORDER BY
  std::uint32_t order_end = 0;
  std::uint32_t limit_begin = 0;  // after LIMIT, through any OFFSET value
  std::uint32_t limit_end = 0;
  std::uint32_t tail_begin = 0;  // locking clause (FOR UPDATE, ...) to the end
  std::uint32_t tail_end = 0;
};

struct parsed_statement {
  std::string_view text;
  sql::statement_kind kind = sql::statement_kind::empty;
  bool multiple = false;  // more statements follow a ';' (see router: split and routed each)
  bool readable = true;   // false: the lexer or parser met text it cannot read
  bool executable_comments = false;   // a /*! ... */ comment was read as SQL
  bool no_backslash_escapes = false;  // how its strings were read
  const char* unreadable = "";        // why, when !readable
  std::vector<sql::token> tokens;
  std::vector<table_ref> tables;
  // Pairs of tables (indexes into `tables`) whose shard keys are equated (a.k = b.k) in
  // an ON clause or at the top level of the WHERE.
  std::vector<std::pair<std::uint16_t, std::uint16_t>> key_joins;
  std::string_view hint_shard;  // from /* shardgate: shard=NAME */
  bool hint_writer = false;     // /* shardgate: writer */ - never on a reader

  // Reads: what stops the rows of several shards from being combined at all (null:
  // nothing). Names the construct: "a window function", "UNION / EXCEPT / INTERSECT", ...
  const char* scatter_blocker = nullptr;
  // Reads: the first construct that needs the proxy to merge the shards' rows rather than
  // concatenate them ("ORDER BY", "LIMIT", "an aggregate function", "GROUP BY", "HAVING",
  // "DISTINCT"); null: concatenation is exact. See `select` for where its parts are.
  const char* merge_needed = nullptr;
  // The parts of a top-level `SELECT ...` (token indexes; valid when select.simple).
  select_shape select;

  // UPDATE ... SET / INSERT ... ON DUPLICATE KEY UPDATE: a shard-key column is assigned.
  bool assigns_key = false;
  bool assigned_key_literal = false;  // ... to a single literal (then `assigned_key`)
  literal_ref assigned_key;
  bool order_or_limit = false;  // UPDATE/DELETE with ORDER BY or LIMIT
  // The parse read a literal's value, not only its position (a string alias after AS, two
  // values assigned to the key compared): another statement of the same shape may parse
  // otherwise, so routing/parse_cache.hpp does not keep it.
  bool literal_value_read = false;

  // INSERT / REPLACE
  bool insert_values = false;  // VALUES (...), (...) form
  bool insert_set = false;     // SET col = value form
  bool insert_select = false;  // INSERT ... SELECT / TABLE
  bool insert_has_columns = false;
  int key_column = -1;           // position of the shard key in the column list
  std::uint32_t rows_start = 0;  // byte offset where the first row starts
  std::uint32_t rows_end = 0;    // byte offset just after the last row
  std::vector<insert_row> rows;

  // DDL: the object kind keyword as written (TABLE, INDEX, DATABASE, VIEW, ...) and, for
  // CREATE/ALTER/DROP DATABASE, the database.
  std::string_view ddl_object;
  std::string ddl_database;
  // EXPLAIN / DESCRIBE of a statement: the kind of the statement explained.
  sql::statement_kind explained = sql::statement_kind::empty;

  // The key terms of every table's key_constraint (one vector, kept for its capacity).
  std::vector<key_term> key_terms;

  // Scratch (kept for its capacity).
  std::vector<std::uint32_t> paren_partner;
  std::vector<key_term> term_arena;

  void clear();
  std::string_view token_text(std::uint32_t i) const { return tokens[i].text(text); }
  // Whether token i is the (unquoted) keyword `k`, e.g. is_keyword(0, sql::keyword_id("BEGIN")).
  bool is_keyword(std::size_t i, sql::keyword k) const {
    return i < tokens.size() && tokens[i].kind == sql::token_kind::identifier &&
           tokens[i].code == k;
  }
  std::span<const key_term> terms(const key_constraint& keys) const {
    return std::span<const key_term>(key_terms).subspan(keys.terms_begin, keys.terms_count);
  }
};

struct parse_options {
  std::string_view current_schema;  // the session's database (any case)
  // Its configuration (null: not configured) when the caller has looked it up
  // (`current_schema_resolved`); else the parser finds it from current_schema.
  const config::schema_config* current_schema_config = nullptr;
  bool current_schema_resolved = false;
  bool ansi_quotes = false;  // sql_mode ANSI_QUOTES: "x" is an identifier
  bool no_backslash_escapes = false;
};

// Token i is the unquoted word `upper` (any case): for words the keyword table lacks.
bool word_is(const parsed_statement& p, std::size_t i, std::string_view upper) noexcept;

// Parses `sql` (one statement; callers split multi-statement texts) against the sharding
// configuration. Tables are resolved to their configuration here.
void parse_statement(std::string_view sql, const config::config& cfg, const parse_options& options,
                     parsed_statement& out);

// parse_statement in its two steps (routing/parse_cache.hpp looks between them): the text
// lexed into a cleared `out` (its tokens end with an `end` token), then parsed.
sql::tokenize_result lex_statement(std::string_view sql, const parse_options& options,
                                   parsed_statement& out);
void parse_lexed(const sql::tokenize_result& lexed, const config::config& cfg,
                 const parse_options& options, parsed_statement& out);

// What the routing parser knows of a keyword (sql/keywords.hpp id): whether it names an
// aggregate function (COUNT, SUM, ..., GROUP_CONCAT, STD, ...), and whether it starts a
// clause that ends an expression (FROM, WHERE, GROUP, ORDER, LIMIT, UNION, JOIN, ON, ...).
bool is_aggregate_function(sql::keyword k) noexcept;
bool is_clause_word(sql::keyword k) noexcept;

// Lower-cased, unquoted identifier text of an identifier or quoted-identifier token.
std::string identifier_lower(std::string_view token_text);

}  // namespace shardgate::routing
