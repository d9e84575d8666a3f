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
#include "routing/bind_params.hpp"
#include "server/client_session.hpp"
#include "server/worker.hpp"
#include "session/pinning.hpp"

namespace shardgate::server {

using namespace protocol;

namespace {

client_session::next proceed(bool sent) {
  return sent ? client_session::next::keep_going : client_session::next::close;
}

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
  worker_.router().route(sql, route_view(), plan_);
  if (plan_.action != routing::route_action::refuse && !plan_.clusters.empty())
    return plan_.tableless ? home_cluster() : plan_.clusters[0];
  // (plan_ is kept: stmt_prepare reads whether the route is fixed)
  // Refused as it stands (a `?` where the shard key goes): any shard of its first table
  // has the table's definition; the execution routes it by the values.
  for (const auto& ref : worker_.router().parsed().tables) {
    if (!ref.table) continue;
    const auto& p = worker_.router().topo().placement(*ref.table);
    return p.broadcast() ? p.first_copy() : p.clusters().front();
  }
  return home_cluster();
}

awaitable<client_session::next> client_session::stmt_prepare() {
  const std::string sql(as_string_view(byte_span(payload_).subspan(1)));
  statements_.forget_last();
  const int cluster = prepare_cluster(sql);
  // (Broadcast reads are routed per execution: where they run depends on the transaction.)
  const bool fixed = plan_.action == routing::route_action::single && !plan_.broadcast_read;
  const sql::statement_kind plan_kind = plan_.kind;
  const bool fixed_write = plan_.write, fixed_tableless = plan_.tableless,
             fixed_broadcast_read = plan_.broadcast_read;
  const int fixed_cluster = fixed ? plan_.clusters[0] : -1;
  auto err = co_await borrow_backend(cluster);
  if (err) {
    const bool sent = co_await send_error(*err);
    co_return proceed(sent);
  }
  cluster_slot& slot = slots_[static_cast<std::size_t>(cluster)];
  const bool had_state = must_keep_backend(cluster);
  auto result = co_await slot.conn->prepare(state_.schema, sql);
  if (!result.statement) {
    const bool lost = !result.server_error;
    give_back_backend(cluster, !lost);
    const bool sent = co_await send_error(*result.error);
    co_return lost&& had_state ? next::close : proceed(sent);
  }
  const auto& prepared = *result.statement;
  prepare_ok ok;
  if (prepared.reply.empty() || !decode_prepare_ok(prepared.reply[0], ok)) {
    give_back_backend(cluster, false);
    const mysql_error e{er::server_lost, "08S01", "malformed prepare reply"};
    const bool sent = co_await send_error(e);
    co_return proceed(sent);
  }
  session::client_statement& st = statements_.add();
  st.schema = state_.schema;
  st.sql = sql;
  st.params = ok.params;
  st.columns = ok.columns;
  st.placeholders_ok = routing::find_placeholders(st.sql, no_backslash_escapes_, st.placeholders) &&
                       st.placeholders.size() == st.params;
  st.pins = session::statement_pins_session(st.sql);
  // A statement routed to one cluster with its placeholders in place goes there whatever
  // the values (they only fill places the router does not read) - except transaction
  // control, which the session handles itself.
  if (fixed && plan_kind != sql::statement_kind::transaction) {
    st.fixed_route = true;
    st.fixed_topology = &worker_.router().topo();
    st.fixed_cluster = fixed_cluster;
    st.fixed_kind = static_cast<std::uint8_t>(plan_kind);
    st.fixed_write = fixed_write;
    st.fixed_tableless = fixed_tableless;
    st.fixed_broadcast_read = fixed_broadcast_read;
  }
  st.cached_epoch = slot.conn->prepared_epoch();
  st.cached_backend_id = prepared.id;

  // The server's reply with ShardGate's statement id.
  out_.clear();
  std::uint8_t seq = static_cast<std::uint8_t>(seq_ + 1);
  ok.statement_id = st.id;
  out_scratch_.clear();
  encode_prepare_ok(out_scratch_, ok);
  append_packet(out_, out_scratch_, seq);
  for (std::size_t i = 1; i < prepared.reply.size(); ++i)
    append_packet(out_, prepared.reply[i], seq);
  give_back_backend(cluster, true);
  const error_code ec = co_await net::write_all(socket_, byte_span(out_));
  seq_ = static_cast<std::uint8_t>(seq - 1);
  co_return ec ? next::close : next::keep_going;
}

awaitable<client_session::next> client_session::stmt_execute() {
  const std::uint32_t id = command_statement_id(payload_);
  session::client_statement* st = statements_.find(id);
  if (!st) {
    const bool sent = co_await send_error(unknown_statement(id, payload_[0]));
    co_return proceed(sent);
  }
  prepared_run exec;
  exec.statement = st;
  std::optional<mysql_error> bad;
  if (!decode_execute(payload_, st->params, exec.request)) {
    bad = wrong_arguments("malformed packet");
  } else if (exec.request.iterations != 1) {
    bad = wrong_arguments("iteration count " + std::to_string(exec.request.iterations));
  } else if (exec.request.new_params_bound) {
    st->types.assign(exec.request.types.begin(), exec.request.types.end());
  } else if (st->types.size() != 2u * st->params) {
    bad = wrong_arguments("parameter types were never sent");
  }
  if (!bad && st->long_data_bytes > config_->listen.max_packet_bytes)
    bad = mysql_error{er::net_packet_too_large, "08S01",
                      "Parameter data sent with COM_STMT_SEND_LONG_DATA is larger than "
                      "ShardGate's listen.max_packet_bytes"};
  std::string_view sql = st->sql;
  exec.bound = st->params == 0;
  // Routed at prepare time when the values cannot change where it runs.
  exec.fixed = st->fixed_route && st->fixed_topology == &worker_.router().topo();
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
      route_view();
      if (routing::bind_text(st->sql, st->placeholders, bound_, no_backslash_escapes_,
                             bound_sql_)) {
        sql = bound_sql_;
        exec.bound = true;
      }
    }
  }
  if (bad) {
    st->clear_long_data();
    const bool sent = co_await send_error(*bad);
    co_return proceed(sent);
  }
  if (st->pins) pinned_by_statement_ = true;
  const next n = co_await run_statement(sql, &exec);
  // The statement may have been closed meanwhile? No: one command at a time.
  st->clear_long_data();
  co_return n;
}

awaitable<void> client_session::close_cursor(session::client_statement& st) {
  const int c = st.cursor_cluster;
  st.cursor_cluster = -1;
  if (c < 0) co_return;
  cluster_slot& slot = slots_[static_cast<std::size_t>(c)];
  if (slot.cursors > 0) --slot.cursors;
  if (!slot.conn) co_return;
  if (!slot.conn->broken()) {
    char id[4];
    for (int i = 0; i < 4; ++i) id[i] = static_cast<char>(st.cursor_backend_id >> (8 * i));
    auto err = co_await slot.conn->run_internal(command::stmt_reset, std::string_view(id, 4));
    if (err && slot.conn->broken())
      spdlog::debug("client {}: closing a cursor: {}", id_, err->message);
  }
  give_back_backend(c, !slot.conn->broken());
}

awaitable<client_session::next> client_session::run_prepared(int cluster, prepared_run& exec) {
  session::client_statement& st0 = *exec.statement;
  // Executing again closes the statement's cursor (the server would; it may be elsewhere).
  if (st0.cursor_cluster >= 0) co_await close_cursor(st0);
  auto err = co_await borrow_backend(cluster);
  if (!err) err = co_await join_transaction(cluster);
  if (err) {
    const bool sent = co_await send_error(*err);
    co_return proceed(sent);
  }
  session::client_statement& st = *exec.statement;
  cluster_slot& slot = slots_[static_cast<std::size_t>(cluster)];
  backend::backend_connection& be = *slot.conn;
  const bool had_state = must_keep_backend(cluster);
  std::uint32_t backend_id = st.cached_backend_id;
  if (st.cached_epoch == 0 || st.cached_epoch != be.prepared_epoch()) {
    auto result = co_await be.prepare(st.schema, st.sql);
    if (!result.statement) {
      const bool lost = !result.server_error;
      give_back_backend(cluster, !lost);
      const bool sent = co_await send_error(*result.error);
      co_return lost&& had_state ? next::close : proceed(sent);
    }
    if (result.statement->params != st.params) {
      give_back_backend(cluster, true);
      const mysql_error e{er::unknown_error, "HY000",
                          "ShardGate: shard " + config_->clusters[cluster].name + " counts " +
                              std::to_string(result.statement->params) +
                              " parameters in this statement, the shard that prepared it " +
                              std::to_string(st.params) +
                              " (do the shards have the same table definitions?)"};
      const bool sent = co_await send_error(e);
      co_return proceed(sent);
    }
    backend_id = result.statement->id;
    st.cached_epoch = be.prepared_epoch();
    st.cached_backend_id = backend_id;
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
  running_ = &exec;
  const next n = co_await exchange(response_kind::execute, cluster, had_state, &request_);
  running_ = nullptr;
  co_return n;
}

awaitable<client_session::next> client_session::stmt_send_long_data() {
  long_data_request req;
  if (!decode_long_data(payload_, req)) co_return next::keep_going;  // no reply, ever
  session::client_statement* st = statements_.find(req.statement_id);
  if (!st || req.param >= st->params) co_return next::keep_going;
  if (st->long_data.size() < st->params) st->long_data.resize(st->params);
  auto& slot = st->long_data[req.param];
  if (!slot) slot.emplace();
  st->long_data_bytes += req.data.size();
  // Beyond the limit keep counting, not storing: the execution reports it.
  if (st->long_data_bytes <= config_->listen.max_packet_bytes)
    slot->append(reinterpret_cast<const char*>(req.data.data()), req.data.size());
  co_return next::keep_going;
}

awaitable<client_session::next> client_session::stmt_reset() {
  const std::uint32_t id = command_statement_id(payload_);
  session::client_statement* st = statements_.find(id);
  if (!st) {
    const bool sent = co_await send_error(unknown_statement(id, payload_[0]));
    co_return proceed(sent);
  }
  st->clear_long_data();
  if (st->cursor_cluster >= 0) co_await close_cursor(*st);
  const bool sent = co_await send_ok();
  co_return proceed(sent);
}

// Rows of a cursor opened by an execution on one shard: from the connection holding it.
awaitable<client_session::next> client_session::stmt_fetch() {
  const std::uint32_t id = command_statement_id(payload_);
  session::client_statement* st = statements_.find(id);
  if (!st || st->cursor_cluster < 0 || payload_.size() < 9 ||
      !slots_[static_cast<std::size_t>(st->cursor_cluster)].conn) {
    if (st && st->cursor_cluster >= 0) co_await close_cursor(*st);
    const mysql_error err =
        st ? mysql_error{er::no_open_cursor, "HY000",
                         "The statement (" + std::to_string(id) + ") has no open cursor."}
           : unknown_statement(id, payload_[0]);
    const bool sent = co_await send_error(err);
    co_return proceed(sent);
  }
  const int cluster = st->cursor_cluster;
  request_.clear();
  out_scratch_.assign(payload_.begin(), payload_.end());
  for (int i = 0; i < 4; ++i)
    out_scratch_[1 + i] = static_cast<std::uint8_t>(st->cursor_backend_id >> (8 * i));
  std::uint8_t seq = 0;
  append_packet(request_, out_scratch_, seq);
  const next n = co_await exchange(response_kind::fetch, cluster, true, &request_);
  cluster_slot& slot = slots_[static_cast<std::size_t>(cluster)];
  // The last row sent (or the connection gone): the server closed the cursor.
  if (st->cursor_cluster >= 0 && (!slot.conn || (slot.conn->status & status::last_row_sent) ||
                                  !(slot.conn->status & status::cursor_exists))) {
    st->cursor_cluster = -1;
    if (slot.cursors > 0) --slot.cursors;
    if (slot.conn) give_back_backend(cluster, true);
  }
  co_return n;
}

}  // namespace shardgate::server
