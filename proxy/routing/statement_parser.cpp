#include "routing/statement_parser.hpp"

#include <algorithm>
#include <array>

#include "routing/parser/parser.hpp"

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
  literal_value_read = false;
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

namespace detail {

bool parser::lex() {
  if (r_.last_hint.kind == token_kind::hint) {
    // /* shardgate: shard=NAME */
    std::string_view h = r_.last_hint.text(sql_);
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
  if (r_.error) fail("the lexer met text it cannot read (an unterminated string or comment?)");
  out_.executable_comments = r_.executable_comments;
  out_.no_backslash_escapes = opt_.no_backslash_escapes;
  n_ = static_cast<std::uint32_t>(out_.tokens.size() - 1);
  // Match parentheses once (partner() is only read for parentheses: the rest of the
  // vector may hold stale values), and see whether more statements follow a ';'.
  if (out_.paren_partner.size() < out_.tokens.size()) out_.paren_partner.resize(out_.tokens.size());
  std::uint32_t stack[256];
  std::uint32_t depth = 0;
  const token* const toks = out_.tokens.data();
  std::uint32_t* const partners = out_.paren_partner.data();
  for (std::uint32_t i = 0; i < n_; ++i) {
    switch (toks[i].kind) {
      case token_kind::semicolon:
        if (i + 1 < n_ && toks[i + 1].kind != token_kind::semicolon) out_.multiple = true;
        break;
      case token_kind::lparen:
        if (depth == 256) {
          fail("parentheses nested deeper than 256");
          return false;
        }
        stack[depth++] = i;
        break;
      case token_kind::rparen: {
        if (depth == 0) {
          fail("unbalanced parentheses");
          return false;
        }
        const std::uint32_t open = stack[--depth];
        partners[open] = i;
        partners[i] = open;
        break;
      }
      default:
        break;
    }
  }
  if (depth != 0) {
    fail("unbalanced parentheses");
    return false;
  }
  if (out_.readable && r_.executable_comments) find_conditional_comments();
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

}  // namespace detail

using detail::parser;

bool word_is(const parsed_statement& p, std::size_t i, std::string_view upper) noexcept {
  return i < p.tokens.size() && p.tokens[i].kind == sql::token_kind::identifier &&
         sql::is_keyword(p.token_text(static_cast<std::uint32_t>(i)), upper);
}

sql::tokenize_result lex_statement(std::string_view sql, const parse_options& options,
                                   parsed_statement& out) {
  out.clear();
  out.text = sql;
  sql::lexer lx(sql, options.no_backslash_escapes);
  const sql::tokenize_result r = lx.tokenize(out.tokens);
  out.tokens.push_back(token{token_kind::end, 0, r.stop.offset, 0});
  return r;
}

void parse_lexed(const sql::tokenize_result& lexed, const config::config& cfg,
                 const parse_options& options, parsed_statement& out) {
  parser p(cfg, options, lexed, out);
  p.run();
}

void parse_statement(std::string_view sql, const config::config& cfg, const parse_options& options,
                     parsed_statement& out) {
  const sql::tokenize_result r = lex_statement(sql, options, out);
  parse_lexed(r, cfg, options, out);
}

bool is_aggregate_function(sql::keyword k) noexcept {
  return k < sql::keyword_count && (detail::word_flags[k] & detail::w_aggregate);
}

bool is_clause_word(sql::keyword k) noexcept {
  return k < sql::keyword_count && (detail::word_flags[k] & detail::w_clause);
}

}  // namespace shardgate::routing
