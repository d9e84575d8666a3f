// One client connection: the login (server/login.hpp), then the command loop. It reads a
// command, hands it to the component that serves it and keeps the client's socket, buffers
// and sequence ids (client_channel). What the session is lives in session/session_data; the
// executor (execution/executor.hpp) runs statements over the backend connections the
// session borrows, the coordinator (transactions/coordinator.hpp) owns the transaction
// across shards, and the prepared handler (server/prepared_handler.hpp) the binary protocol.
// Here: the command loop, routing a statement and handing it on (run_statement), session
// resets, and the per-statement limits and accounting.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend_connection.hpp"
#include "backend/connection_pool.hpp"
#include "config/config.hpp"
#include "execution/executor.hpp"
#include "execution/statement_deadline.hpp"
#include "limits/limits.hpp"
#include "metrics/query_stats.hpp"
#include "metrics/worker_metrics.hpp"
#include "net/asio.hpp"
#include "net/read_buffer.hpp"
#include "net/stream.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"
#include "protocol/prepared_statement.hpp"
#include "protocol/response_translator.hpp"
#include "routing/router.hpp"
#include "server/client_channel.hpp"
#include "server/generation.hpp"
#include "server/login.hpp"
#include "server/prepared_handler.hpp"
#include "server/statement_accounting.hpp"
#include "session/backend_slots.hpp"
#include "session/prepared_statements.hpp"
#include "session/replayable_state.hpp"
#include "session/session_data.hpp"
#include "session/sql_modes.hpp"
#include "transactions/coordinator.hpp"

namespace shardgate::server {

class worker;

class client_session final : public statement_runner {
 public:
  client_session(worker& owner, tcp::socket socket, std::uint32_t connection_id);
  client_session(const client_session&) = delete;
  client_session& operator=(const client_session&) = delete;

  awaitable<void> run();

  // Graceful shutdown: an idle session closes now, a busy one after its statement.
  void request_close();

  std::uint32_t id() const noexcept { return s_.id; }

  // A reload made a new generation current: an idle session moves to it now (so it does
  // not keep the old one's pools and health checker alive while it waits for a command).
  void on_new_generation() {
    if (idle_) adopt_current_generation();
  }

 public:
  using next = session::next;

 private:
  // The login (server/login.hpp), then begin_as: the user's connection limits, default
  // schema and the final OK.
  awaitable<bool> handshake();
  awaitable<bool> begin_as(const login_identity& who);
  // COM_CHANGE_USER: a new login on this connection, then a reset of the session.
  awaitable<next> change_user();
  // After a reload: moves to the worker's current generation unless a backend connection
  // or a transaction ties the session to the one it runs on.
  void adopt_current_generation();
  awaitable<next> dispatch(std::uint8_t cmd);
  // COM_QUERY / COM_STMT_EXECUTE: the rate limits, then the statement, then its metrics,
  // query statistics and slow log.
  awaitable<next> statement_command(std::uint8_t cmd);
  awaitable<next> query();
  // Routes and runs one statement (statement_runner): COM_QUERY text, or a prepared
  // statement's execution (`exec`; `sql` is then its text with the bound values in place of
  // the `?`).
  awaitable<next> run_statement(std::string_view sql, prepared_run* exec) override;
  awaitable<next> init_db();
  awaitable<next> set_option();
  awaitable<next> reset_connection();
  // What COM_RESET_CONNECTION and COM_CHANGE_USER share: backends reset and given back, the
  // transaction, prepared statements and session state gone; `schema` stays current.
  awaitable<void> reset_session(std::string schema);
  awaitable<void> release_all(bool clean);
  awaitable<void> finish();

  worker& worker_;
  client_channel ch_;                // the client's socket, buffers and sequence ids
  session::session_data s_;          // what the session is
  execution::executor ex_;           // runs statements over the session's backend connections
  transactions::coordinator tx_;     // the transaction across shards
  prepared_handler prepared_;        // the binary protocol, SQL-level PREPARE
  statement_accounting accounting_;  // metrics, query statistics, slow log
  std::uint16_t peer_port_ = 0;
  std::uint8_t handshake_collation_ = 0;
  std::string scramble_;
  bool idle_ = false;
  bool close_requested_ = false;
  bool admitted_ = false;
  // users[] limits: looked up at login, shared with the user's other sessions.
  limits::user_limits* user_limits_ = nullptr;
  std::shared_ptr<limits::client_ip_limits> ip_limits_;
  bool connection_counted_ = false;

 public:
  std::list<client_session*>::iterator registry_position;
};

}  // namespace shardgate::server
