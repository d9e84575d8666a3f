// What one client session is, as plain data (vtgate's SafeSession): who it is, the
// configuration generation it runs on, its replayable state and SQL modes, the backend
// connections it holds per cluster, its explicit transaction, and the current statement's
// plan and outcome. The components that act on a session - the executor
// (execution/executor.hpp), the transaction coordinator (transactions/coordinator.hpp) and
// the prepared-statement handler (server/prepared_handler.hpp) - share one session_data
// owned by server/client_session; none of them owns another's logic.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "protocol/constants.hpp"
#include "routing/router.hpp"
#include "session/backend_slots.hpp"
#include "session/prepared_statements.hpp"
#include "session/replayable_state.hpp"
#include "session/sql_modes.hpp"

namespace shardgate::server {
class generation;
}

namespace shardgate::session {

// What the command loop does after a command.
enum class next : std::uint8_t { keep_going, close };
// After a reply: go on if it could be sent, close otherwise.
inline next proceed(bool sent) noexcept {
  return sent ? next::keep_going : next::close;
}

// The session's explicit transaction (BEGIN ... COMMIT), opened lazily shard by shard.
struct explicit_transaction {
  bool open = false;       // BEGIN was answered; not yet ended
  bool xa = false;         // it opens XA branches (transactions.cross_shard: xa)
  std::string begin_text;  // its BEGIN, sent to each shard it reaches
  std::string xa_gtrid;    // its global XA id, from the first branch until all have ended
};

struct session_data {
  std::uint32_t id = 0;
  std::uint64_t token = 0;  // unique for the process lifetime; identifies this session's state
  std::string user;
  std::string peer;  // (the client's capabilities are the channel's: client_channel::caps)

  // The configuration the session runs on; moves to the worker's current one between
  // statements when no backend connection is held (client_session::adopt_current_generation).
  std::shared_ptr<server::generation> gen;
  std::shared_ptr<const config::config> config;

  replayable_state state;
  backend_slots slots;  // one per cluster, held during a statement / while pinned
  sql_modes modes;      // sql_mode, autocommit, ... as route_view() last read them
  explicit_transaction txn;
  statement_registry statements;  // prepared statements (COM_STMT_PREPARE), by ShardGate id
  std::uint16_t server_status = protocol::status::autocommit;  // of the last reply
  bool pinned_by_statement = false;  // state that cannot be replayed (session/pinning.hpp)
  // SET shardgate_max_execution_ms = N (-1: not set, routing.max_execution_ms applies).
  std::int64_t max_execution_ms = -1;
  std::chrono::steady_clock::time_point last_write{};  // (kept with read_your_writes_ms)
  // A transaction or pinned state died with a backend connection: the client connection
  // ends after the current reply.
  bool state_lost = false;

  // The current statement.
  routing::route_plan plan;
  bool routed = false;                // plan is the current statement's plan
  std::uint16_t last_error_code = 0;  // of the last reply a backend sent (0 = none)

  // How the router reads the session's statements (the SQL modes re-read on a state change).
  routing::session_view route_view() {
    modes.refresh(state);
    return routing::session_view{state.schema, modes.ansi_quotes,
                                 modes.effective_no_backslash_escapes()};
  }
  // A transaction is open: BEGIN was answered, or a server reports one.
  bool in_transaction() const noexcept { return txn.open || slots.any_transaction(); }
  // The connection of `cluster` stays with the session after the statement.
  bool must_keep(int cluster) const noexcept {
    return slots.must_keep(cluster, pinned_by_statement);
  }
  // The status flags of a reply ShardGate composes (OK, EOF).
  std::uint16_t status_flags() const noexcept {
    // Cursor flags describe one execution's result, never the session.
    auto st = static_cast<std::uint16_t>(server_status & ~(protocol::status::session_state_changed |
                                                           protocol::status::cursor_exists |
                                                           protocol::status::last_row_sent));
    if (in_transaction()) st |= protocol::status::in_trans;
    return st;
  }
};

}  // namespace shardgate::session
