// The binary protocol of a client session (see prepared_handler.hpp).
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
#include "transactions/coordinator.hpp"

namespace shardgate::server {

using namespace protocol;
using session::next;
using session::proceed;

namespace {

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

bool prepared_run::wants_cursor() const noexcept {
  return (request.flags & cursor_flags) != 0;
}

void prepared_handler::fixed_plan(const prepared_run& exec, routing::route_plan& plan) const {
  const session::client_statement& st = *exec.statement;
  plan.action = routing::route_action::single;
  plan.combine = routing::route_combine::none;
  plan.kind = static_cast<sql::statement_kind>(st.fixed_kind);
  plan.write = st.fixed_write;
  plan.tableless = st.fixed_tableless;
  plan.broadcast_read = st.fixed_broadcast_read;
  plan.rewritten = false;
  plan.clusters.assign(1, st.fixed_cluster);
}

std::optional<mysql_error> prepared_handler::fan_out_refusal(const prepared_run& exec) const {
  if (exec.statement->schema != s_.state.schema)
    return mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: this prepared statement runs on several shards as text, "
                       "in the current database '" +
                           s_.state.schema + "', but it was prepared in '" +
                           exec.statement->schema +
                           "'; USE that database again or prepare it here"};
  if (exec.wants_cursor() && (s_.plan.combine == routing::route_combine::rows ||
                              s_.plan.combine == routing::route_combine::merge))
    return mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: this prepared statement reads several shards, and a "
                       "cursor over several shards is not supported; execute it without "
                       "a cursor (e.g. useCursorFetch=false, no STMT_ATTR_CURSOR_TYPE)"};
  if (!exec.bound)
    return mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: this prepared statement runs on several shards, and its "
                       "parameter values cannot be written into its text (use the text "
                       "protocol for it)"};
  return std::nullopt;
}

// COM_STMT_CLOSE: no reply.
awaitable<next> prepared_handler::close() {
  const std::uint32_t id = command_statement_id(client_.payload);
  if (auto* st = s_.statements.find(id); st && id != last_prepared_statement) {
    bool kept = true;
    if (st->cursor_cluster >= 0) kept = co_await close_cursor(*st);
    s_.statements.remove(id);
    if (!kept) co_return next::close;
  }
  co_return next::keep_going;
}

int prepared_handler::prepare_cluster(std::string_view sql) {
  s_.gen->router().route(sql, s_.route_view(), s_.plan);
  if (s_.plan.action != routing::route_action::refuse && !s_.plan.clusters.empty())
    return s_.plan.tableless ? ex_.home_cluster() : s_.plan.clusters[0];
  // (s_.plan is kept: prepare() reads whether the route is fixed)
  // Refused as it stands (a `?` where the shard key goes): any shard of its first table
  // has the table's definition; the execution routes it by the values.
  for (const auto& ref : s_.gen->router().parsed().tables) {
    if (!ref.table) continue;
    const auto& p = s_.gen->router().topo().placement(*ref.table);
    return p.broadcast() ? p.first_copy() : p.clusters().front();
  }
  return ex_.home_cluster();
}

awaitable<next> prepared_handler::prepare() {
  const std::string sql(as_string_view(byte_span(client_.payload).subspan(1)));
  s_.statements.forget_last();
  if (s_.statements.size() >= max_statements) {
    const mysql_error err{er::too_many_statements, "42000",
                          "Can't create more than max_prepared_stmt_count statements (current "
                          "value: " +
                              std::to_string(max_statements) +
                              ", ShardGate's limit per connection)"};
    const bool sent = co_await client_.send_error(err);
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
    const bool sent = co_await client_.send_error(*err);
    co_return proceed(sent);
  }
  session::cluster_slot& slot = s_.slots[cluster];
  const bool had_state = s_.must_keep(cluster);
  auto result = co_await slot.conn->prepare(s_.state.schema, sql);
  if (!result.statement) {
    const bool lost = !result.server_error;
    ex_.give_back(cluster, !lost);
    const bool sent = co_await client_.send_error(*result.error);
    co_return lost&& had_state ? next::close : proceed(sent);
  }
  const auto& prepared = *result.statement;
  prepare_ok ok;
  if (prepared.reply.empty() || !decode_prepare_ok(prepared.reply[0], ok)) {
    ex_.give_back(cluster, false);
    const mysql_error e{er::server_lost, "08S01", "malformed prepare reply"};
    const bool sent = co_await client_.send_error(e);
    co_return proceed(sent);
  }
  session::client_statement& st = s_.statements.add();
  st.schema = s_.state.schema;
  st.sql = sql;
  st.params = ok.params;
  st.columns = ok.columns;
  st.placeholders_ok =
      routing::find_placeholders(st.sql, s_.route_view().no_backslash_escapes, st.placeholders) &&
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
  client_.out.clear();
  std::uint8_t seq = static_cast<std::uint8_t>(client_.seq + 1);
  ok.statement_id = st.id;
  scratch_.clear();
  encode_prepare_ok(scratch_, ok);
  append_packet(client_.out, scratch_, seq);
  for (std::size_t i = 1; i < prepared.reply.size(); ++i)
    append_packet(client_.out, prepared.reply[i], seq);
  ex_.give_back(cluster, true);
  net::traffic.out += client_.out.size();
  const error_code ec = co_await net::write_all(client_.stream, byte_span(client_.out));
  client_.seq = static_cast<std::uint8_t>(seq - 1);
  co_return ec ? next::close : next::keep_going;
}

awaitable<next> prepared_handler::execute() {
  const std::uint32_t id = command_statement_id(client_.payload);
  session::client_statement* st = s_.statements.find(id);
  if (!st) {
    const mysql_error unknown = unknown_statement(id, client_.payload[0]);
    const bool sent = co_await client_.send_error(unknown);
    co_return proceed(sent);
  }
  prepared_run exec;
  exec.statement = st;
  std::optional<mysql_error> bad;
  if (!decode_execute(client_.payload, st->params, exec.request)) {
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
      const bool nbe = s_.route_view().no_backslash_escapes;
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
    const bool sent = co_await client_.send_error(*bad);
    co_return proceed(sent);
  }
  if (st->pins) s_.pinned_by_statement = true;
  const next n = co_await runner_.run_statement(sql, &exec);
  // The statement may have been closed meanwhile? No: one command at a time.
  st->clear_long_data();
  co_return n;
}

awaitable<bool> prepared_handler::close_cursor(session::client_statement& st) {
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
awaitable<next> prepared_handler::end_after_lost_state() {
  const mysql_error lost{er::server_lost, "08S01",
                         "Lost connection to the backend that held this session's transaction "
                         "or pinned state (while closing a cursor)"};
  co_await client_.send_error(lost);
  co_return next::close;
}

awaitable<next> prepared_handler::run_on(int cluster, prepared_run& exec,
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
    const bool sent = co_await client_.send_error(*err);
    co_return proceed(sent);
  }
  session::client_statement& st = *exec.statement;
  session::cluster_slot& slot = s_.slots[cluster];
  backend::backend_connection& be = *slot.conn;
  const bool had_state = s_.must_keep(cluster);
  std::uint32_t backend_id = st.cached_backend_id;
  // A cursor runs on a statement of its own: a cached one may be shared by another client
  // statement (or session) with the same text, whose execution would close this cursor.
  exec.private_statement = exec.wants_cursor();
  if (exec.private_statement || st.cached_epoch == 0 || st.cached_epoch != be.prepared_epoch()) {
    auto result = co_await be.prepare(st.schema, st.sql, !exec.private_statement);
    const std::uint32_t id = result.id;
    const std::uint16_t params = result.params;
    if (result.error) {
      const bool lost = !result.server_error;
      ex_.give_back(cluster, !lost);
      const bool sent = co_await client_.send_error(*result.error);
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
      const bool sent = co_await client_.send_error(e);
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
    scratch_.clear();
    encode_long_data(scratch_, backend_id, static_cast<std::uint16_t>(i), *st.long_data[i]);
    seq = 0;
    append_packet(request_, scratch_, seq);
  }
  scratch_.clear();
  encode_execute(scratch_, backend_id, exec.request, st.types, st.params,
                 /*keep_cursor=*/true);
  seq = 0;
  append_packet(request_, scratch_, seq);
  if (request_.capacity() > (1u << 20) && request_.size() < (1u << 16)) request_.shrink_to_fit();
  exec.backend_id = backend_id;
  execution::cursor_execution cursor{&st, backend_id};
  co_return co_await ex_.exchange(response_kind::execute, cluster, had_state, &request_,
                                  exec.private_statement ? &cursor : nullptr);
}

awaitable<next> prepared_handler::send_long_data() {
  long_data_request req;
  if (!decode_long_data(client_.payload, req)) co_return next::keep_going;  // no reply, ever
  session::client_statement* st = s_.statements.find(req.statement_id);
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

awaitable<next> prepared_handler::reset() {
  const std::uint32_t id = command_statement_id(client_.payload);
  session::client_statement* st = s_.statements.find(id);
  if (!st) {
    const mysql_error unknown = unknown_statement(id, client_.payload[0]);
    const bool sent = co_await client_.send_error(unknown);
    co_return proceed(sent);
  }
  st->clear_long_data();
  if (st->cursor_cluster >= 0) {
    const bool kept = co_await close_cursor(*st);
    if (!kept) co_return co_await end_after_lost_state();
  }
  const bool sent = co_await client_.send_ok(s_.status_flags());
  co_return proceed(sent);
}

// Rows of a cursor opened by an execution on one shard: from the connection holding it.
awaitable<next> prepared_handler::fetch() {
  const std::uint32_t id = command_statement_id(client_.payload);
  session::client_statement* st = s_.statements.find(id);
  if (!st || st->cursor_cluster < 0 || client_.payload.size() < 9 ||
      !s_.slots[st->cursor_cluster].conn) {
    if (st && st->cursor_cluster >= 0) {
      const bool kept = co_await close_cursor(*st);
      if (!kept) co_return co_await end_after_lost_state();
    }
    const mysql_error err =
        st ? mysql_error{er::no_open_cursor, "HY000",
                         "The statement (" + std::to_string(id) + ") has no open cursor."}
           : unknown_statement(id, client_.payload[0]);
    const bool sent = co_await client_.send_error(err);
    co_return proceed(sent);
  }
  const int cluster = st->cursor_cluster;
  request_.clear();
  scratch_.assign(client_.payload.begin(), client_.payload.end());
  for (int i = 0; i < 4; ++i)
    scratch_[1 + i] = static_cast<std::uint8_t>(st->cursor_backend_id >> (8 * i));
  std::uint8_t seq = 0;
  append_packet(request_, scratch_, seq);
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

}  // namespace shardgate::server
