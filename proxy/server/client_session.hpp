// One client connection: the login (server/login.hpp), then the command loop. Statements borrow a
// backend connection from the worker's pool for their duration; a session keeps ("pins") its
// connection only while it must - an open transaction, autocommit off, or state that cannot be
// replayed (session/pinning.hpp).
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
#include "session/backend_slots.hpp"
#include "session/prepared_statements.hpp"
#include "session/replayable_state.hpp"
#include "session/session_data.hpp"
#include "session/sql_modes.hpp"
#include "transactions/coordinator.hpp"

namespace shardgate::server {

class worker;

class client_session {
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
  void account_statement(std::uint8_t cmd, std::uint32_t statement_id, std::uint64_t micros,
                         bool metrics_on, std::uint32_t slow_ms, metrics::query_stats* stats,
                         bool killed);
  metrics::route_kind route_kind_of_plan() const;
  // "single shard0", "scatter shard0,shard1,..." (for the slow log and query statistics).
  const std::string& route_text(metrics::route_kind route);
  awaitable<next> query();
  // Routes and runs one statement: COM_QUERY text, or a prepared statement's execution
  // (`exec`; `sql` is then its text with the bound values in place of the `?`).
  struct prepared_run {
    session::client_statement* statement = nullptr;
    protocol::execute_request request;
    // `sql` holds the values in place of the placeholders (or there are none), so it can
    // run as text where the statement spans several shards.
    bool bound = false;
    std::uint32_t backend_id = 0;  // the statement's id on the connection that runs it
    bool fixed = false;            // route from the statement's fixed_* (no routing)
    // A cursor was asked for: the execution runs on a private (uncached) backend statement,
    // closed when the cursor closes or when no cursor opened.
    bool private_statement = false;
  };
  awaitable<next> run_statement(std::string_view sql, prepared_run* exec);

  // The binary protocol (server/prepared_commands.cpp).
  awaitable<next> stmt_prepare();
  awaitable<next> stmt_execute();
  awaitable<next> stmt_send_long_data();
  awaitable<next> stmt_reset();
  awaitable<next> stmt_fetch();
  awaitable<next> run_prepared(int cluster, prepared_run& exec,
                               backend::connection_pool* reader = nullptr);
  // Closes the statement's open cursor on its backend connection (COM_STMT_RESET there).
  // False: the connection was lost while it also held a transaction or pinned state.
  awaitable<bool> close_cursor(session::client_statement& st);
  awaitable<next> end_after_lost_state();
  // The cluster that prepares a statement for its metadata.
  int prepare_cluster(std::string_view sql);
  // SQL-level PREPARE / EXECUTE / {DEALLOCATE | DROP} PREPARE, when sharding is configured
  // (the statement text is routed at EXECUTE, with the USING values written in).
  static bool is_sql_prepared_command(const routing::parsed_statement& parsed);
  awaitable<next> sql_prepared_command();
  struct sql_statement {
    std::string schema;
    std::string sql;
    std::uint16_t params = 0;
    std::vector<routing::placeholder> placeholders;
  };
  awaitable<next> init_db();
  awaitable<next> set_option();
  awaitable<next> reset_connection();
  // What COM_RESET_CONNECTION and COM_CHANGE_USER share: backends reset and given back, the
  // transaction, prepared statements and session state gone; `schema` stays current.
  awaitable<void> reset_session(std::string schema);
  // A SET of ShardGate's own session setting (shardgate_max_execution_ms): true when it is
  // one (applied, or pending_setting_error_ says why not); the caller answers it.
  bool shardgate_setting();
  std::optional<protocol::mysql_error> pending_setting_error_;
  awaitable<void> release_all(bool clean);
  awaitable<void> finish();
  routing::session_view route_view();

  worker& worker_;
  client_channel ch_;        // the client's socket, buffers and sequence ids
  session::session_data s_;  // what the session is
  session::statement_registry statements_;
  execution::executor ex_;        // runs statements over the session's backend connections
  transactions::coordinator tx_;  // the transaction across shards
  std::uint16_t peer_port_ = 0;
  std::uint8_t handshake_collation_ = 0;
  std::string scramble_;
  bool idle_ = false;
  bool close_requested_ = false;
  bool admitted_ = false;
  std::string route_text_;  // (scratch of route_text)
  // users[] limits: looked up at login, shared with the user's other sessions.
  limits::user_limits* user_limits_ = nullptr;
  std::shared_ptr<limits::client_ip_limits> ip_limits_;
  bool connection_counted_ = false;

  std::map<std::string, sql_statement> sql_statements_;  // by lower-case name
  std::string bound_sql_;
  std::vector<protocol::bound_param> bound_;
  protocol::bytes request_;      // framed packets for a backend (prepared statements)
  protocol::bytes out_scratch_;  // (prepared replies and requests)

 public:
  std::list<client_session*>::iterator registry_position;
};

}  // namespace shardgate::server
