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
#include "server/generation.hpp"
#include "server/login.hpp"
#include "session/backend_slots.hpp"
#include "session/prepared_statements.hpp"
#include "session/replayable_state.hpp"
#include "session/sql_modes.hpp"
#include "transactions/cross_shard_rules.hpp"

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

  std::uint32_t id() const noexcept { return id_; }

  // A reload made a new generation current: an idle session moves to it now (so it does
  // not keep the old one's pools and health checker alive while it waits for a command).
  void on_new_generation() {
    if (idle_) adopt_current_generation();
  }

 public:
  // What the command loop does after a command.
  enum class next : std::uint8_t { keep_going, close };

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
  awaitable<next> transaction_statement(std::string_view sql);
  // COMMIT / ROLLBACK of a transaction with XA branches: one branch commits in one phase,
  // several in two (XA PREPARE everywhere, the decision made durable, XA COMMIT each).
  awaitable<next> end_xa_transaction(bool commit);
  awaitable<bool> rollback_xa_branches(const std::vector<int>& branches);
  void finish_xa_branches(const std::vector<int>& branches);
  awaitable<next> abort_xa_commit(const std::vector<int>& branches,
                                  const protocol::mysql_error& error);
  awaitable<void> run_xa_step(const std::vector<int>& branches, int first, int second,
                              std::vector<std::optional<protocol::mysql_error>>& errors);
  awaitable<std::optional<protocol::mysql_error>> run_xa(int cluster, int verb);
  bool xa_open() const;
  // The explicit transaction is over (its XA id, if any, is let go by end_xa_transaction
  // or release_all).
  void end_explicit_transaction();
  // What transactions/cross_shard_rules.hpp decides on.
  transactions::transaction_view transaction_view() const {
    return {config_->transactions.cross_shard, xa_txn_, in_transaction(), modes_.autocommit_off};
  }
  awaitable<next> run_fan_out();
  // Runs the command in payload_ on `cluster`, streaming the reply.
  awaitable<next> run_on_backend(protocol::response_kind kind, int cluster,
                                 backend::connection_pool* reader = nullptr);
  // Sends `request` (framed packets; null: payload_) on the borrowed connection of
  // `cluster` and streams the reply to the client.
  awaitable<next> exchange(protocol::response_kind kind, int cluster, bool had_state,
                           const protocol::bytes* request);
  // The backend connection of `cluster` failed `why` ("during query (...)"): it is given
  // back broken and the client told (if `can_report`: at a packet boundary); the client
  // connection ends when session state died with it.
  awaitable<next> backend_lost(int cluster, bool had_state, const std::string& why,
                               bool can_report);
  // After a write is sent to a cluster with readers: whether the writer refused it as
  // read-only and it should run again on the new writer (retry), or the connection was
  // lost before a reply (lost), or the reply goes to the client as usual (none).
  enum class refusal : std::uint8_t { none, retry, lost };
  awaitable<refusal> writer_refused_retry(protocol::response_kind kind, int cluster, bool had_state,
                                          const protocol::bytes* request);

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
  // A connection for `cluster`: the one the session holds, else one from `reader` (a
  // reader's pool, see read_pool) or the cluster's writer.
  awaitable<std::optional<protocol::mysql_error>> borrow_backend(
      int cluster, backend::connection_pool* reader = nullptr);
  // Where the current statement (plan_) may read on `cluster`: a reader's pool when it is
  // an autocommit read that a replica can answer (routing.reads: readers), else null (the
  // writer).
  backend::connection_pool* read_pool(int cluster, const prepared_run* exec);
  // A SET of ShardGate's own session setting (shardgate_max_execution_ms): true when it is
  // one (applied, or pending_setting_error_ says why not); the caller answers it.
  bool shardgate_setting();
  std::optional<protocol::mysql_error> pending_setting_error_;
  // Opens the session's explicit transaction on `cluster` if it is not open there yet.
  awaitable<std::optional<protocol::mysql_error>> join_transaction(int cluster);
  void give_back_backend(int cluster, bool reusable);
  awaitable<void> release_all(bool clean);
  awaitable<void> finish();
  bool in_transaction() const;
  // The cluster a statement without tables goes to: the open transaction's, else the
  // schema's default.
  int home_cluster() const;
  routing::session_view route_view();

  awaitable<bool> send_packet(protocol::byte_span payload);
  awaitable<bool> send_ok(std::uint16_t extra_status = 0);
  awaitable<bool> send_error(const protocol::mysql_error& err);
  std::uint16_t status_flags() const;
  bool must_keep_backend(int cluster) const;

  worker& worker_;
  net::stream stream_;
  std::uint32_t id_;
  std::uint64_t token_;  // unique for the process lifetime; identifies this session's state
  std::string peer_;
  std::uint16_t peer_port_ = 0;
  std::string user_;
  // The configuration the session runs on; moves to the worker's current one between
  // statements when no backend connection is held (adopt_current_generation).
  std::shared_ptr<generation> gen_;
  std::shared_ptr<const config::config> config_;

  net::read_buffer in_;
  protocol::bytes payload_;
  protocol::bytes out_;
  protocol::bytes out_scratch_;
  std::uint8_t seq_ = 0;  // sequence id of the last packet received or sent
  std::uint32_t client_caps_ = 0;
  std::uint8_t handshake_collation_ = 0;
  std::string scramble_;

  session::replayable_state state_;
  session::backend_slots slots_;  // one per cluster, held during a statement / while pinned
  routing::route_plan plan_;
  std::string begin_text_;  // the explicit transaction's BEGIN, opened lazily per shard
  bool explicit_txn_ = false;
  bool xa_txn_ = false;       // the explicit transaction opens XA branches (cross_shard: xa)
  std::string xa_gtrid_;      // its global id, from the first branch until all have ended
  session::sql_modes modes_;  // sql_mode, autocommit, ... as route_view() last read them
  std::chrono::steady_clock::time_point last_write_{};  // (kept with read_your_writes_ms)
  std::uint16_t server_status_ = protocol::status::autocommit;
  bool pinned_by_statement_ = false;
  bool retried_on_new_writer_ = false;  // the current statement ran again on a new writer
  // SET shardgate_max_execution_ms = N (-1: not set, routing.max_execution_ms applies).
  std::int64_t session_max_execution_ms_ = -1;
  execution::statement_deadline deadline_;
  // A transaction or pinned state died with a backend connection: end the client
  // connection after the current reply.
  bool state_lost_ = false;
  bool idle_ = false;
  bool close_requested_ = false;
  bool admitted_ = false;
  std::uint16_t last_error_code_ = 0;  // of the last statement's reply (0 = none)
  std::uint16_t reply_error_ = 0;      // the current statement's reply was this error
  bool routed_ = false;                // plan_ is the current statement's plan
  std::string route_text_;             // (scratch of route_text)
  // users[] limits: looked up at login, shared with the user's other sessions.
  limits::user_limits* user_limits_ = nullptr;
  std::shared_ptr<limits::client_ip_limits> ip_limits_;
  bool connection_counted_ = false;

  session::statement_registry statements_;
  std::map<std::string, sql_statement> sql_statements_;  // by lower-case name
  std::string_view fan_out_text_;  // the statement run_fan_out sends (payload_ / bound_sql_)
  bool binary_rows_ = false;       // the running statement's client wants binary rows
  std::string bound_sql_;
  std::vector<protocol::bound_param> bound_;
  protocol::bytes request_;          // framed packets for a backend (prepared statements)
  prepared_run* running_ = nullptr;  // the execution exchange() is running, if any

 public:
  std::list<client_session*>::iterator registry_position;
};

}  // namespace shardgate::server
