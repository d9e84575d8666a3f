// Runs a routed statement over the session's backend connections (vtgate's Executor and
// ScatterConn): borrows each cluster's connection (the one the session holds, a reader's
// for a replica-safe autocommit read, else the writer's), brings its session state in
// sync, sends the statement, streams the reply to the client, and gives the connection
// back unless the session must keep it. It owns the read/write split (read_pool), the
// retry of a write a demoted writer refused (writer_refused_retry), the statement's
// deadline (max_execution_ms, read_timeout_ms), lost backends, and the fan-out of one
// statement to several shards (the plan's combination: concatenated or merged rows,
// broadcast or split writes, DDL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "backend/connection_pool.hpp"
#include "execution/fan_out.hpp"
#include "execution/statement_deadline.hpp"
#include "metrics/worker_metrics.hpp"
#include "net/asio.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"
#include "protocol/response_translator.hpp"
#include "server/client_channel.hpp"
#include "session/prepared_statements.hpp"
#include "session/session_data.hpp"

namespace shardgate::transactions {
class coordinator;
}

namespace shardgate::execution {

// What the command loop does after a command.
using session::next;

// A prepared statement's execution that may open a cursor on a private backend statement
// (closed when no cursor opened).
struct cursor_execution {
  session::client_statement* statement = nullptr;
  std::uint32_t backend_id = 0;
};

class executor {
 public:
  executor(session::session_data& s, server::client_channel& client,
           metrics::worker_metrics& metrics, const std::atomic<bool>& metrics_on)
      : s_(s), client_(client), metrics_(metrics), metrics_on_(metrics_on) {}
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  // The coordinator that opens the explicit transaction on each cluster a statement reaches.
  void set_coordinator(transactions::coordinator* tx) noexcept { tx_ = tx; }

  // A new statement begins (clears the writer-retry mark).
  void begin_statement() noexcept { retried_on_new_writer_ = false; }

  // A connection for `cluster` in its slot: the one the session holds, else one from
  // `reader` (a reader's pool, see read_pool) or the cluster's writer; its session state
  // brought in sync.
  awaitable<std::optional<protocol::mysql_error>> borrow(
      int cluster, backend::connection_pool* reader = nullptr);
  // Gives the connection of `cluster` back to its pool (broken unless `reusable`), unless
  // the session must keep it.
  void give_back(int cluster, bool reusable);
  // Where the current statement (s.plan) may read on `cluster`: a reader's pool when it is
  // an autocommit read that a replica can answer (routing.reads: readers), else null (the
  // writer). `cursor`: it opens a cursor (stays on the writer); `fixed_replica_ok`: the
  // prepared statement's own verdict (null: the parsed statement's).
  backend::connection_pool* read_pool(int cluster, bool cursor, const bool* fixed_replica_ok);

  // The cluster a statement without tables goes to: the open transaction's, else the
  // current database's default.
  int home_cluster() const;

  // A statement without tables follows the open transaction (SELECT 1, SET, ...); a read
  // of broadcast tables stays in it when its shard has copies.
  void place_on_transaction(routing::route_plan& plan) const;

  // Runs the command in the client's payload on `cluster`, streaming the reply.
  awaitable<next> run_on_backend(protocol::response_kind kind, int cluster,
                                 backend::connection_pool* reader = nullptr);
  // Sends `request` (framed packets; null: the client's payload) on the borrowed
  // connection of `cluster` and streams the reply to the client. `had_state`: the session
  // must keep that connection (a loss ends the client connection).
  awaitable<next> exchange(protocol::response_kind kind, int cluster, bool had_state,
                           const protocol::bytes* request, cursor_execution* cursor = nullptr);
  // Runs `sql` on every cluster of s.plan (a fan-out) and combines the replies as the plan
  // says; `binary_rows`: the client executed a prepared statement.
  awaitable<next> fan_out(std::string_view sql, bool binary_rows);

  // The backend connection of `cluster` failed `why` ("during query (...)"): it is given
  // back broken and the client told (if `can_report`: at a packet boundary); the client
  // connection ends when session state died with it.
  awaitable<next> backend_lost(int cluster, bool had_state, const std::string& why,
                               bool can_report);

  // The deadline of the statement running now (the session's accounting reads it).
  const statement_deadline& deadline() const noexcept { return deadline_; }

 private:
  // After a write is sent to a cluster with readers: whether the writer refused it as
  // read-only and it should run again on the new writer (retry), or the connection was
  // lost before a reply (lost), or the reply goes to the client as usual (none).
  enum class refusal : std::uint8_t { none, retry, lost };
  awaitable<refusal> writer_refused_retry(protocol::response_kind kind, int cluster, bool had_state,
                                          const protocol::bytes* request);
  void count_error(std::uint16_t code) {
    if (metrics_on_.load(std::memory_order_relaxed)) metrics_.error(code);
  }

  session::session_data& s_;
  server::client_channel& client_;
  metrics::worker_metrics& metrics_;
  const std::atomic<bool>& metrics_on_;
  transactions::coordinator* tx_ = nullptr;
  statement_deadline deadline_;
  bool retried_on_new_writer_ = false;  // the current statement ran again on a new writer
};

}  // namespace shardgate::execution
