// SQL-level PREPARE / EXECUTE / DEALLOCATE PREPARE of a session, when sharding is
// configured: the statement text inside PREPARE is routed only at EXECUTE, with the USING
// values written into it. ShardGate keeps the text (checked by preparing it on a backend),
// and EXECUTE runs the bound text as if the client had sent it.
#include <spdlog/spdlog.h>

#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/resultset.hpp"
#include "routing/bind_params.hpp"
#include "routing/read_split.hpp"
#include "server/generation.hpp"
#include "server/prepared_handler.hpp"
#include "session/pinning.hpp"

namespace shardgate::server {

using namespace protocol;
using session::proceed;

namespace {

// The statement's tokens (the routing parser may stop early on statements it does not
// route): a small view with the accessors below.
struct token_view {
  std::string_view text;
  std::vector<sql::token> tokens;
  std::string_view token_text(std::size_t i) const { return tokens[i].text(text); }
  bool is_keyword(std::size_t i, sql::keyword k) const {
    return i < tokens.size() && tokens[i].kind == sql::token_kind::identifier &&
           tokens[i].code == k;
  }
};

std::string statement_name(const token_view& p, std::size_t i) {
  if (i >= p.tokens.size()) return {};
  const auto kind = p.tokens[i].kind;
  if (kind != sql::token_kind::identifier && kind != sql::token_kind::quoted_identifier) return {};
  std::string name = sql::identifier_value(p.token_text(i));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// A user variable's value (as SELECT @v returned it) written as an SQL literal.
void append_value(std::string& sql, const std::optional<std::string>& v,
                  const backend::backend_connection::value_column& col, bool nbe) {
  if (!v) {
    sql += "NULL";
    return;
  }
  switch (col.type) {
    case column_type::tiny:
    case column_type::short_:
    case column_type::long_:
    case column_type::int24:
    case column_type::longlong:
    case column_type::decimal:
    case column_type::newdecimal:
      sql += *v;
      return;
    case column_type::float_:
    case column_type::double_:
      sql += *v;
      if (v->find_first_of("eE") == std::string::npos) sql += "e0";
      return;
    default:
      break;
  }
  bound_param p;
  p.type =
      static_cast<std::uint8_t>(col.collation == 63 ? column_type::blob : column_type::var_string);
  p.value = as_bytes(*v);
  (void)append_literal(sql, p, nbe);
}

}  // namespace

bool prepared_handler::is_sql_prepared_command(const routing::parsed_statement& p) {
  // PREPARE / EXECUTE / DEALLOCATE classify as `other`, DROP PREPARE as DDL: other
  // statements (the query path) are not lexed again.
  if (p.kind != sql::statement_kind::other && p.kind != sql::statement_kind::ddl) return false;
  return session::starts_sql_prepared_command(p.text);
}

awaitable<next> prepared_handler::sql_command() {
  const bool nbe = s_.route_view().no_backslash_escapes;
  token_view p;
  p.text = s_.gen->router()
               .parsed()
               .text;  // (client_.payload: stays until client_.payload is rebuilt below)
  sql::lexer(p.text, nbe).tokenize(p.tokens);
  std::optional<mysql_error> error;

  if (p.is_keyword(0, sql::keyword_id("PREPARE"))) {
    const std::string name = statement_name(p, 1);
    std::string text;
    std::string variable;
    if (name.empty() || !p.is_keyword(2, sql::keyword_id("FROM")) || p.tokens.size() != 4) {
      error = mysql_error{er::not_supported_yet, "42000",
                          "ShardGate: PREPARE name FROM 'statement' or FROM @variable"};
    } else if (p.tokens[3].kind == sql::token_kind::string) {
      (void)sql::string_value(p.token_text(3), text, nbe);
    } else if (p.tokens[3].kind == sql::token_kind::user_variable) {
      variable.assign(p.token_text(3));
    } else {
      error = mysql_error{er::not_supported_yet, "42000",
                          "ShardGate: PREPARE name FROM 'statement' or FROM @variable"};
    }
    const int home = ex_.home_cluster();
    if (!error && !variable.empty()) {
      // The variable lives on the session's (pinned) connection of its home cluster.
      error = co_await ex_.borrow(home);
      if (!error) {
        std::vector<std::optional<std::string>> values;
        std::vector<backend::backend_connection::value_column> cols;
        const std::string select = "SELECT " + variable;
        error = co_await s_.slots[home].conn->query_row(select, values, cols);
        const bool broken = s_.slots[home].conn->broken();
        ex_.give_back(home, !broken);
        if (!error && (values.empty() || !values[0]))
          error = mysql_error{1064, "42000",
                              "You have an error in your SQL syntax; " + variable + " is NULL"};
        if (!error) text = *values[0];
      }
    }
    if (!error) {
      // Checked where it would run now: prepared on a backend (kept in its cache).
      const int cluster = prepare_cluster(text);
      error = co_await ex_.borrow(cluster);
      if (!error) {
        auto& conn = s_.slots[cluster].conn;
        auto result = co_await conn->prepare(s_.state.schema, text);
        ex_.give_back(cluster, !conn->broken());
        if (!result.statement) {
          error = result.error;
        } else {
          sql_statement st;
          st.schema = s_.state.schema;
          st.sql = text;
          st.params = result.statement->params;
          if (!routing::find_placeholders(st.sql, nbe, st.placeholders) ||
              st.placeholders.size() != st.params)
            st.placeholders.clear();
          if (sql_statements_.size() >= max_statements && !sql_statements_.count(name))
            error = mysql_error{er::too_many_statements, "42000",
                                "Can't create more than max_prepared_stmt_count statements"};
          else
            sql_statements_[name] = std::move(st);
        }
      }
    }
    if (error) {
      const bool sent = co_await client_.send_error(*error);
      co_return proceed(sent);
    }
    client_.out.clear();
    ok_packet ok;
    ok.status = s_.status_flags();
    ok.info = "Statement prepared";
    encode_ok(client_.out, ok, client_.caps);
    const bool sent = co_await client_.send_packet(client_.out);
    co_return proceed(sent);
  }

  if (!p.is_keyword(0, sql::keyword_id("EXECUTE"))) {  // DEALLOCATE / DROP PREPARE name
    const std::string name = statement_name(p, 2);
    if (p.tokens.size() != 3 || !sql_statements_.erase(name)) {
      const mysql_error err{
          er::unknown_stmt_handler, "HY000",
          "Unknown prepared statement handler (" + name + ") given to DEALLOCATE PREPARE"};
      const bool sent = co_await client_.send_error(err);
      co_return proceed(sent);
    }
    const bool sent = co_await client_.send_ok(s_.status_flags());
    co_return proceed(sent);
  }

  // EXECUTE name [USING value, ...]: values are user variables or literals.
  const std::string name = statement_name(p, 1);
  auto it = sql_statements_.find(name);
  if (it == sql_statements_.end()) {
    const mysql_error err{er::unknown_stmt_handler, "HY000",
                          "Unknown prepared statement handler (" + name + ") given to EXECUTE"};
    const bool sent = co_await client_.send_error(err);
    co_return proceed(sent);
  }
  std::vector<std::string> literals;  // one per USING item ("" = a variable, filled below)
  std::string variables;              // SELECT list of the variables
  std::vector<std::size_t> variable_items;
  std::size_t i = 2;
  if (p.is_keyword(i, sql::keyword_id("USING"))) {
    for (++i; i < p.tokens.size(); ++i) {
      const auto kind = p.tokens[i].kind;
      std::string lit;
      if (kind == sql::token_kind::op && p.token_text(i) == "-" && i + 1 < p.tokens.size() &&
          p.tokens[i + 1].kind == sql::token_kind::number) {
        lit = "-" + std::string(p.token_text(++i));
      } else if (kind == sql::token_kind::number || kind == sql::token_kind::string ||
                 kind == sql::token_kind::hex_string || kind == sql::token_kind::bit_string ||
                 (kind == sql::token_kind::identifier &&
                  p.is_keyword(i, sql::keyword_id("NULL")))) {
        lit = p.token_text(i);
      } else if (kind == sql::token_kind::user_variable) {
        variables += (variables.empty() ? "SELECT " : ", ");
        variables += p.token_text(i);
        variable_items.push_back(literals.size());
      } else {
        error = mysql_error{er::not_supported_yet, "42000",
                            "ShardGate: EXECUTE ... USING takes user variables and literals"};
        break;
      }
      literals.push_back(std::move(lit));
      if (i + 1 < p.tokens.size() && p.tokens[i + 1].kind != sql::token_kind::comma) {
        error = mysql_error{er::not_supported_yet, "42000",
                            "ShardGate: EXECUTE ... USING takes user variables and literals"};
        break;
      }
      ++i;  // the comma
    }
  } else if (i < p.tokens.size()) {
    error = mysql_error{1064, "42000", "You have an error in your SQL syntax near EXECUTE"};
  }
  const sql_statement st = it->second;  // (a copy: the statement run below may replace it)
  if (!error && !variables.empty() && !s_.modes.text_binding_safe)
    error = mysql_error{er::not_supported_yet, "42000",
                        "ShardGate: EXECUTE ... USING @variable cannot write the values into the "
                        "statement in this connection's character set; use utf8mb4"};
  if (!error && literals.size() != st.params)
    error = mysql_error{er::wrong_arguments, "HY000", "Incorrect arguments to EXECUTE"};
  if (!error && st.params > 0 && st.placeholders.size() != st.params)
    error = mysql_error{er::not_supported_yet, "42000",
                        "ShardGate: cannot place the values into this prepared statement"};
  if (!error && !variables.empty()) {
    const int home = ex_.home_cluster();
    error = co_await ex_.borrow(home);
    if (!error) {
      std::vector<std::optional<std::string>> values;
      std::vector<backend::backend_connection::value_column> cols;
      auto& conn = s_.slots[home].conn;
      error = co_await conn->query_row(variables, values, cols);
      ex_.give_back(home, !conn->broken());
      if (!error && (values.size() != variable_items.size() || cols.size() != values.size()))
        error = mysql_error{er::unknown_error, "HY000", "ShardGate: could not read the variables"};
      for (std::size_t k = 0; !error && k < values.size(); ++k) {
        std::string lit;
        append_value(lit, values[k], cols[k], nbe);
        literals[variable_items[k]] = std::move(lit);
      }
    }
  }
  if (error) {
    const bool sent = co_await client_.send_error(*error);
    co_return proceed(sent);
  }
  // The bound text runs as a COM_QUERY would (routing, transactions, merges).
  std::string text;
  (void)routing::splice_literals(st.sql, st.placeholders, literals, text);  // counts checked
  client_.payload.assign(1, static_cast<std::uint8_t>(command::query));
  client_.payload.insert(client_.payload.end(), text.begin(), text.end());
  const std::string_view sql = as_string_view(byte_span(client_.payload).subspan(1));
  if (!s_.pinned_by_statement && session::statement_pins_session(sql))
    s_.pinned_by_statement = true;
  // (Its tables resolve in the database current at PREPARE, as the server does.)
  if (st.schema != s_.state.schema) {
    const mysql_error err{er::not_supported_yet, "42000",
                          "ShardGate: EXECUTE of a statement prepared in database '" + st.schema +
                              "' while the current database is '" + s_.state.schema +
                              "'; USE it again or prepare the statement here"};
    const bool sent = co_await client_.send_error(err);
    co_return proceed(sent);
  }
  co_return co_await runner_.run_statement(sql, nullptr);
}

}  // namespace shardgate::server
