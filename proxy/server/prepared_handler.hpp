// The binary protocol of a client session: COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA /
// RESET / FETCH / CLOSE, and SQL-level PREPARE / EXECUTE / DEALLOCATE PREPARE when sharding
// is configured. A statement is prepared on one backend connection for its metadata, gets
// a ShardGate id (the registry is session data: session/prepared_statements.hpp), and at
// each execution is routed by its bound values: one shard runs it as a prepared statement
// (prepared there lazily, cached per connection, run by run_on); a statement that spans
// shards runs there as text with the values written in, and its rows reach the client in
// the binary encoding. The routing of an execution is the session's (statement_runner).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/connection_pool.hpp"
#include "execution/executor.hpp"
#include "net/asio.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"
#include "protocol/prepared_statement.hpp"
#include "routing/bind_params.hpp"
#include "routing/router.hpp"
#include "server/client_channel.hpp"
#include "session/prepared_statements.hpp"
#include "session/session_data.hpp"

namespace shardgate::transactions {
class coordinator;
}

namespace shardgate::server {

using session::next;

// One execution of a prepared statement (COM_STMT_EXECUTE).
struct prepared_run {
  session::client_statement* statement = nullptr;
  protocol::execute_request request;
  // The text routed holds the values in place of the placeholders (or there are none), so
  // it can run as text where the statement spans several shards.
  bool bound = false;
  std::uint32_t backend_id = 0;  // the statement's id on the connection that runs it
  bool fixed = false;            // route from the statement's fixed_* (no routing)
  // A cursor was asked for: the execution runs on a private (uncached) backend statement,
  // closed when the cursor closes or when no cursor opened.
  bool private_statement = false;
  bool wants_cursor() const noexcept;
};

// Routes and runs a statement text (the session's command path): `exec` is the prepared
// execution it comes from, or null (SQL-level EXECUTE runs its bound text as a query).
class statement_runner {
 public:
  virtual awaitable<next> run_statement(std::string_view sql, prepared_run* exec) = 0;

 protected:
  ~statement_runner() = default;
};

class prepared_handler {
 public:
  // Per client connection, as MariaDB's default max_prepared_stmt_count is per server.
  static constexpr std::size_t max_statements = 16382;

  prepared_handler(session::session_data& s, client_channel& client, execution::executor& ex,
                   transactions::coordinator& tx, statement_runner& runner)
      : s_(s), client_(client), ex_(ex), tx_(tx), runner_(runner) {}
  prepared_handler(const prepared_handler&) = delete;
  prepared_handler& operator=(const prepared_handler&) = delete;

  // The commands (the client's payload holds them).
  awaitable<next> prepare();
  awaitable<next> execute();
  awaitable<next> send_long_data();
  awaitable<next> reset();
  awaitable<next> fetch();
  awaitable<next> close();

  // The execution on one cluster, as a prepared statement there.
  awaitable<next> run_on(int cluster, prepared_run& exec, backend::connection_pool* reader);
  // The route of an execution whose route does not depend on its values (fixed at prepare).
  void fixed_plan(const prepared_run& exec, routing::route_plan& plan) const;
  // Why `exec` cannot run on the several shards of s.plan, or nothing.
  std::optional<protocol::mysql_error> fan_out_refusal(const prepared_run& exec) const;

  // SQL-level PREPARE / EXECUTE / {DEALLOCATE | DROP} PREPARE (server/sql_prepared.cpp).
  static bool is_sql_prepared_command(const routing::parsed_statement& parsed);
  awaitable<next> sql_command();

  // The session is reset: every statement goes.
  void clear() {
    s_.statements.clear();
    sql_statements_.clear();
  }

 private:
  // Closes the statement's open cursor on its backend connection (the statement is
  // private to the cursor). False: the connection was lost while it also held a
  // transaction or pinned state.
  awaitable<bool> close_cursor(session::client_statement& st);
  awaitable<next> end_after_lost_state();
  // The cluster that prepares a statement for its metadata (s.plan is its route).
  int prepare_cluster(std::string_view sql);

  struct sql_statement {
    std::string schema;
    std::string sql;
    std::uint16_t params = 0;
    std::vector<routing::placeholder> placeholders;
  };

  session::session_data& s_;
  client_channel& client_;
  execution::executor& ex_;
  transactions::coordinator& tx_;
  statement_runner& runner_;
  std::map<std::string, sql_statement> sql_statements_;  // by lower-case name
  std::string bound_sql_;
  std::vector<protocol::bound_param> bound_;
  protocol::bytes request_;  // framed packets for a backend
  protocol::bytes scratch_;
};

}  // namespace shardgate::server
