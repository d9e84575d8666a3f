// The binary protocol of a client session: COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA /
// RESET / FETCH (CLOSE is in dispatch). A statement is prepared on one backend connection
// for its metadata, gets a ShardGate id, and at each execution is routed by its bound
// values: one shard runs it as a prepared statement (prepared there lazily, cached per
// connection); a statement that spans shards runs there as text with the values written
// in, and its rows reach the client in the binary encoding.
#include <spdlog/spdlog.h>

#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/resultset.hpp"
#include "routing/bind_params.hpp"
#include "routing/read_split.hpp"
#include "server/client_session.hpp"
#include "server/worker.hpp"
#include "session/pinning.hpp"

namespace shardgate::server {

using namespace protocol;
using session::next;
using session::proceed;

namespace {

// Per client connection, as MariaDB's default max_prepared_stmt_count is per server.
constexpr std::size_t max_statements_per_session = 16382;

mysql_error unknown_statement(std::uint32_t id, std::uint8_t cmd) {
  return {er::unknown_stmt_handler, "HY000",
          "Unknown prepared statement handler (" + std::to_string(id) + ") given to " +
              command_name(cmd)};
}

mysql_error wrong_arguments(std::string_view what) {
  return {er::wrong_arguments, "HY000",
          "Incorrect arguments to mysqld_stmt_execute (" + std::string(what) + ")"};
}

}  // namespace

int client_session::prepare_cluster(std::string_view sql) {
  s_.gen->router().route(sql, route_view(), s_.plan);
  if (s_.plan.action != routing::route_action::refuse && !s_.plan.clusters.empty())
    return s_.plan.tableless ? ex_.home_cluster() : s_.plan.clusters[0];
  // (s_.plan is kept: stmt_prepare reads whether the route is fixed)
  // Refused as it stands (a `?` where the shard key goes): any shard of its first table
  // has the table's definition; the execution routes it by the values.
  for (const auto& ref : s_.gen->router().parsed().tables) {
    if (!ref.table) continue;
    const auto& p = s_.gen->router().topo().placement(*ref.table);
    return p.broadcast() ? p.first_copy() : p.clusters().front();
  }
  return ex_.home_cluster();
}

awaitable<next> client_session::stmt_prepare() {
  const std::string sql(as_string_view(byte_span(ch_.payload).subspan(1)));
  statements_.forget_last();
  if (statements_.size() >= max_statements_per_session) {
    const mysql_error err{er::too_many_statements, "42000",
                          "Can't create more than max_prepared_stmt_count statements (current "
                          "value: " +
                              std::to_string(max_statements_per_session) +
                              ", ShardGate's limit per connection)"};
    const bool sent = co_await ch_.send_error(err);
    co_return proceed(sent);
  }
  const int cluster = prepare_cluster(sql);
  // (Broadcast reads are routed per execution: where they run depends on the transaction.)
  const bool fixed = s_.plan.action == routing::route_action::single && !s_.plan.broadcast_read;
  const sql::statement_kind plan_kind = s_.plan.kind;
  const bool fixed_write = s_.plan.write, fixed_tableless = s_.plan.tableless,
             fixed_broadcast_read = s_.plan.broadcast_read;
  const bool fixed_replica_ok = fixed && s_.gen->has_readers(s_.plan.clusters[0]) &&
                                s_.plan.kind == sql::statement_kind::select && !s_.plan.write &&
                                !s_.plan.multi_statement &&
                                routing::replica_may_answer(s_.gen->router().parsed());
  const int fixed_cluster = fixed ? s_.plan.clusters[0] : -1;
  auto err = co_await ex_.borrow(cluster);
  if (err) {
    const bool sent = co_await ch_.send_error(*err);
    co_return proceed(sent);
  }
  session::cluster_slot& slot = s_.slots[cluster];
  const bool had_state = s_.must_keep(cluster);
  auto result = co_await slot.conn->prepare(s_.state.schema, sql);
  if (!result.statement) {
    const bool lost = !result.server_error;
    ex_.give_back(cluster, !lost);
    const bool sent = co_await ch_.send_error(*result.error);
    co_return lost&& had_state ? next::close : proceed(sent);
  }
  const auto& prepared = *result.statement;
  prepare_ok ok;
  if (prepared.reply.empty() || !decode_prepare_ok(prepared.reply[0], ok)) {
    ex_.give_back(cluster, false);
    const mysql_error e{er::server_lost, "08S01", "malformed prepare reply"};
    const bool sent = co_await ch_.send_error(e);
    co_return proceed(sent);
  }
  session::client_statement& st = statements_.add();
  st.schema = s_.state.schema;
  st.sql = sql;
  st.params = ok.params;
  st.columns = ok.columns;
  st.placeholders_ok =
      routing::find_placeholders(st.sql, route_view().no_backslash_escapes, st.placeholders) &&
      st.placeholders.size() == st.params;
  st.pins = session::statement_pins_session(st.sql);
  // A statement routed to one cluster with its placeholders in place goes there whatever
  // the values (they only fill places the router does not read) - except transaction
  // control, which the session handles itself.
  if (fixed && plan_kind != sql::statement_kind::transaction) {
    st.fixed_route = true;
    st.fixed_generation = s_.gen->number();
    st.fixed_cluster = fixed_cluster;
    st.fixed_kind = static_cast<std::uint8_t>(plan_kind);
    st.fixed_write = fixed_write;
    st.fixed_tableless = fixed_tableless;
    st.fixed_broadcast_read = fixed_broadcast_read;
    st.fixed_replica_ok = fixed_replica_ok;
  }
  st.cached_epoch = slot.conn->prepared_epoch();
  st.cached_backend_id = prepared.id;

  // The server's reply with ShardGate's statement id.
  ch_.out.clear();
  std::uint8_t seq = static_cast<std::uint8_t>(ch_.seq + 1);
  ok.statement_id = st.id;
  out_scratch_.clear();
  encode_prepare_ok(out_scratch_, ok);
  append_packet(ch_.out, out_scratch_, seq);
  for (std::size_t i = 1; i < prepared.reply.size(); ++i)
    append_packet(ch_.out, prepared.reply[i], seq);
  ex_.give_back(cluster, true);
  net::traffic.out += ch_.out.size();
  const error_code ec = co_await net::write_all(ch_.stream, byte_span(ch_.out));
  ch_.seq = static_cast<std::uint8_t>(seq - 1);
  co_return ec ? next::close : next::keep_going;
}

awaitable<next> client_session::stmt_execute() {
  const std::uint32_t id = command_statement_id(ch_.payload);
  session::client_statement* st = statements_.find(id);
  if (!st) {
    const mysql_error unknown = unknown_statement(id, ch_.payload[0]);
    const bool sent = co_await ch_.send_error(unknown);
    co_return proceed(sent);
  }
  prepared_run exec;
  exec.statement = st;
  std::optional<mysql_error> bad;
  if (!decode_execute(ch_.payload, st->params, exec.request)) {
    bad = wrong_arguments("malformed packet");
  } else if (exec.request.iterations != 1) {
    bad = wrong_arguments("iteration count " + std::to_string(exec.request.iterations));
  } else if (exec.request.new_params_bound) {
    st->types.assign(exec.request.types.begin(), exec.request.types.end());
  } else if (st->types.size() != 2u * st->params) {
    bad = wrong_arguments("parameter types were never sent");
  }
  if (!bad && st->long_data_bytes > s_.config->listen.max_packet_bytes)
    bad = mysql_error{er::net_packet_too_large, "08S01",
                      "Parameter data sent with COM_STMT_SEND_LONG_DATA is larger than "
                      "ShardGate's listen.max_packet_bytes"};
  std::string_view sql = st->sql;
  exec.bound = st->params == 0;
  // Routed at prepare time when the values cannot change where it runs.
  exec.fixed = st->fixed_route && st->fixed_generation == s_.gen->number();
  if (!bad && st->params > 0) {
    std::vector<const std::string*> long_data;
    if (!st->long_data.empty()) {
      long_data.resize(st->params, nullptr);
      for (std::size_t i = 0; i < st->long_data.size() && i < st->params; ++i)
        if (st->long_data[i]) long_data[i] = &*st->long_data[i];
    }
    if (!split_params(exec.request, st->types, long_data, bound_)) {
      bad = wrong_arguments("malformed parameter values");
    } else if (!exec.fixed && st->placeholders_ok) {
      const bool nbe = route_view().no_backslash_escapes;
      if (routing::bind_text(st->sql, st->placeholders, bound_, nbe, bound_sql_)) {
        sql = bound_sql_;
        // Routing reads this text; running it as text (on several shards) needs values
        // that read back the same in the connection's character set.
        exec.bound = s_.modes.text_binding_safe;
      }
    }
  }
  if (bad) {
    st->clear_long_data();
    const bool sent = co_await ch_.send_error(*bad);
    co_return proceed(sent);
  }
  if (st->pins) s_.pinned_by_statement = true;
  const next n = co_await run_statement(sql, &exec);
  // The statement may have been closed meanwhile? No: one command at a time.
  st->clear_long_data();
  co_return n;
}

awaitable<bool> client_session::close_cursor(session::client_statement& st) {
  const int c = st.cursor_cluster;
  st.cursor_cluster = -1;
  if (c < 0) co_return true;
  session::cluster_slot& slot = s_.slots[c];
  if (slot.cursors > 0) --slot.cursors;
  if (!slot.conn) co_return true;
  const bool other_state = s_.must_keep(c);  // a transaction, pinned state, cursors
  // The cursor's statement is private to it: closing the statement closes the cursor.
  const bool closed = co_await slot.conn->close_statement(st.cursor_backend_id);
  ex_.give_back(c, closed);
  // A connection lost with a transaction or pinned state on it: the session cannot go on
  // as if nothing happened (as a direct connection would have ended).
  co_return closed || !other_state;
}

// A connection lost while closing a cursor took the session's transaction or pinned
// state with it: report it and end the client connection, as a direct one would have ended.
awaitable<next> client_session::end_after_lost_state() {
  const mysql_error lost{er::server_lost, "08S01",
                         "Lost connection to the backend that held this session's transaction "
                         "or pinned state (while closing a cursor)"};
  co_await ch_.send_error(lost);
  co_return next::close;
}

awaitable<next> client_session::run_prepared(int cluster, prepared_run& exec,
                                             backend::connection_pool* reader) {
  session::client_statement& st0 = *exec.statement;
  // Executing again closes the statement's cursor (the server would; it may be elsewhere).
  if (st0.cursor_cluster >= 0) {
    const bool kept = co_await close_cursor(st0);
    if (!kept) co_return co_await end_after_lost_state();
  }
  auto err = co_await ex_.borrow(cluster, reader);
  if (!err) err = co_await tx_.join(cluster);
  if (err) {
    const bool sent = co_await ch_.send_error(*err);
    co_return proceed(sent);
  }
  session::client_statement& st = *exec.statement;
  session::cluster_slot& slot = s_.slots[cluster];
  backend::backend_connection& be = *slot.conn;
  const bool had_state = s_.must_keep(cluster);
  std::uint32_t backend_id = st.cached_backend_id;
  // A cursor runs on a statement of its own: a cached one may be shared by another client
  // statement (or session) with the same text, whose execution would close this cursor.
  exec.private_statement = (exec.request.flags & cursor_flags) != 0;
  if (exec.private_statement || st.cached_epoch == 0 || st.cached_epoch != be.prepared_epoch()) {
    auto result = co_await be.prepare(st.schema, st.sql, !exec.private_statement);
    const std::uint32_t id = result.id;
    const std::uint16_t params = result.params;
    if (result.error) {
      const bool lost = !result.server_error;
      ex_.give_back(cluster, !lost);
      const bool sent = co_await ch_.send_error(*result.error);
      co_return lost&& had_state ? next::close : proceed(sent);
    }
    if (params != st.params) {
      if (exec.private_statement) co_await be.close_statement(id);
      ex_.give_back(cluster, !be.broken());
      const mysql_error e{er::unknown_error, "HY000",
                          "ShardGate: shard " + s_.config->clusters[cluster].name + " counts " +
                              std::to_string(params) +
                              " parameters in this statement, the shard that prepared it " +
                              std::to_string(st.params) +
                              " (do the shards have the same table definitions?)"};
      const bool sent = co_await ch_.send_error(e);
      co_return proceed(sent);
    }
    backend_id = id;
    if (!exec.private_statement) {
      st.cached_epoch = be.prepared_epoch();
      st.cached_backend_id = backend_id;
    }
  }
  // Long data first (no replies), then the execution with the types always bound: this
  // connection may never have seen them.
  request_.clear();
  std::uint8_t seq = 0;
  for (std::size_t i = 0; i < st.long_data.size(); ++i) {
    if (!st.long_data[i]) continue;
    out_scratch_.clear();
    encode_long_data(out_scratch_, backend_id, static_cast<std::uint16_t>(i), *st.long_data[i]);
    seq = 0;
    append_packet(request_, out_scratch_, seq);
  }
  out_scratch_.clear();
  encode_execute(out_scratch_, backend_id, exec.request, st.types, st.params,
                 /*keep_cursor=*/true);
  seq = 0;
  append_packet(request_, out_scratch_, seq);
  if (request_.capacity() > (1u << 20) && request_.size() < (1u << 16)) request_.shrink_to_fit();
  exec.backend_id = backend_id;
  execution::cursor_execution cursor{&st, backend_id};
  co_return co_await ex_.exchange(response_kind::execute, cluster, had_state, &request_,
                                  exec.private_statement ? &cursor : nullptr);
}

awaitable<next> client_session::stmt_send_long_data() {
  long_data_request req;
  if (!decode_long_data(ch_.payload, req)) co_return next::keep_going;  // no reply, ever
  session::client_statement* st = statements_.find(req.statement_id);
  if (!st || req.param >= st->params) co_return next::keep_going;
  if (st->long_data.size() < st->params) st->long_data.resize(st->params);
  auto& slot = st->long_data[req.param];
  if (!slot) slot.emplace();
  st->long_data_bytes += req.data.size();
  // Beyond the limit keep counting, not storing: the execution reports it.
  if (st->long_data_bytes <= s_.config->listen.max_packet_bytes)
    slot->append(reinterpret_cast<const char*>(req.data.data()), req.data.size());
  co_return next::keep_going;
}

awaitable<next> client_session::stmt_reset() {
  const std::uint32_t id = command_statement_id(ch_.payload);
  session::client_statement* st = statements_.find(id);
  if (!st) {
    const mysql_error unknown = unknown_statement(id, ch_.payload[0]);
    const bool sent = co_await ch_.send_error(unknown);
    co_return proceed(sent);
  }
  st->clear_long_data();
  if (st->cursor_cluster >= 0) {
    const bool kept = co_await close_cursor(*st);
    if (!kept) co_return co_await end_after_lost_state();
  }
  const bool sent = co_await ch_.send_ok(s_.status_flags());
  co_return proceed(sent);
}

// Rows of a cursor opened by an execution on one shard: from the connection holding it.
awaitable<next> client_session::stmt_fetch() {
  const std::uint32_t id = command_statement_id(ch_.payload);
  session::client_statement* st = statements_.find(id);
  if (!st || st->cursor_cluster < 0 || ch_.payload.size() < 9 ||
      !s_.slots[st->cursor_cluster].conn) {
    if (st && st->cursor_cluster >= 0) {
      const bool kept = co_await close_cursor(*st);
      if (!kept) co_return co_await end_after_lost_state();
    }
    const mysql_error err =
        st ? mysql_error{er::no_open_cursor, "HY000",
                         "The statement (" + std::to_string(id) + ") has no open cursor."}
           : unknown_statement(id, ch_.payload[0]);
    const bool sent = co_await ch_.send_error(err);
    co_return proceed(sent);
  }
  const int cluster = st->cursor_cluster;
  request_.clear();
  out_scratch_.assign(ch_.payload.begin(), ch_.payload.end());
  for (int i = 0; i < 4; ++i)
    out_scratch_[1 + i] = static_cast<std::uint8_t>(st->cursor_backend_id >> (8 * i));
  std::uint8_t seq = 0;
  append_packet(request_, out_scratch_, seq);
  const next n = co_await ex_.exchange(response_kind::fetch, cluster, true, &request_);
  session::cluster_slot& slot = s_.slots[cluster];
  // Read to its end (or failed): close the cursor's statement and unpin.
  if (n == next::keep_going && st->cursor_cluster >= 0 &&
      (!slot.conn || (slot.conn->status & status::last_row_sent) ||
       !(slot.conn->status & status::cursor_exists))) {
    const bool kept = co_await close_cursor(*st);
    if (!kept) co_return next::close;
  }
  co_return n;
}

// ---- SQL-level PREPARE / EXECUTE / DEALLOCATE PREPARE ----------------------------------
// With sharding configured the statement text inside PREPARE is routed only at EXECUTE,
// with the USING values written into it: ShardGate keeps the text (checked by preparing it
// on a backend), and EXECUTE runs the bound text as if the client had sent it.

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

bool client_session::is_sql_prepared_command(const routing::parsed_statement& p) {
  // PREPARE / EXECUTE / DEALLOCATE classify as `other`, DROP PREPARE as DDL: other
  // statements (the query path) are not lexed again.
  if (p.kind != sql::statement_kind::other && p.kind != sql::statement_kind::ddl) return false;
  return session::starts_sql_prepared_command(p.text);
}

awaitable<next> client_session::sql_prepared_command() {
  const bool nbe = route_view().no_backslash_escapes;
  token_view p;
  p.text =
      s_.gen->router().parsed().text;  // (ch_.payload: stays until ch_.payload is rebuilt below)
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
          if (sql_statements_.size() >= max_statements_per_session && !sql_statements_.count(name))
            error = mysql_error{er::too_many_statements, "42000",
                                "Can't create more than max_prepared_stmt_count statements"};
          else
            sql_statements_[name] = std::move(st);
        }
      }
    }
    if (error) {
      const bool sent = co_await ch_.send_error(*error);
      co_return proceed(sent);
    }
    ch_.out.clear();
    ok_packet ok;
    ok.status = s_.status_flags();
    ok.info = "Statement prepared";
    encode_ok(ch_.out, ok, ch_.caps);
    const bool sent = co_await ch_.send_packet(ch_.out);
    co_return proceed(sent);
  }

  if (!p.is_keyword(0, sql::keyword_id("EXECUTE"))) {  // DEALLOCATE / DROP PREPARE name
    const std::string name = statement_name(p, 2);
    if (p.tokens.size() != 3 || !sql_statements_.erase(name)) {
      const mysql_error err{
          er::unknown_stmt_handler, "HY000",
          "Unknown prepared statement handler (" + name + ") given to DEALLOCATE PREPARE"};
      const bool sent = co_await ch_.send_error(err);
      co_return proceed(sent);
    }
    const bool sent = co_await ch_.send_ok(s_.status_flags());
    co_return proceed(sent);
  }

  // EXECUTE name [USING value, ...]: values are user variables or literals.
  const std::string name = statement_name(p, 1);
  auto it = sql_statements_.find(name);
  if (it == sql_statements_.end()) {
    const mysql_error err{er::unknown_stmt_handler, "HY000",
                          "Unknown prepared statement handler (" + name + ") given to EXECUTE"};
    const bool sent = co_await ch_.send_error(err);
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
    const bool sent = co_await ch_.send_error(*error);
    co_return proceed(sent);
  }
  // The bound text runs as a COM_QUERY would (routing, transactions, merges).
  std::string text;
  (void)routing::splice_literals(st.sql, st.placeholders, literals, text);  // counts checked
  ch_.payload.assign(1, static_cast<std::uint8_t>(command::query));
  ch_.payload.insert(ch_.payload.end(), text.begin(), text.end());
  const std::string_view sql = as_string_view(byte_span(ch_.payload).subspan(1));
  if (!s_.pinned_by_statement && session::statement_pins_session(sql))
    s_.pinned_by_statement = true;
  // (Its tables resolve in the database current at PREPARE, as the server does.)
  if (st.schema != s_.state.schema) {
    const mysql_error err{er::not_supported_yet, "42000",
                          "ShardGate: EXECUTE of a statement prepared in database '" + st.schema +
                              "' while the current database is '" + s_.state.schema +
                              "'; USE it again or prepare the statement here"};
    const bool sent = co_await ch_.send_error(err);
    co_return proceed(sent);
  }
  co_return co_await run_statement(sql, nullptr);
}

}  // namespace shardgate::server
