// Brings a backend connection's session state in line with a client session's before a
// statement runs on it: current schema (COM_INIT_DB), changed session variables (one
// SET), the multi-statement option (COM_SET_OPTION) and LAST_INSERT_ID() (DO ...).
// Nothing is sent when the connection already matches.
#pragma once

#include <optional>
#include <string>

#include "backend/backend_connection.hpp"
#include "session/replayable_state.hpp"

namespace shardgate::backend {

// True when `conn` was last brought in line with exactly this state (no I/O needed).
inline bool in_sync(const backend_connection& conn, const session::replayable_state& want,
                    std::uint64_t owner) noexcept {
  return conn.synced_owner == owner && conn.synced_generation == want.generation;
}

awaitable<std::optional<protocol::mysql_error>> sync_state(backend_connection& conn,
                                                           const session::replayable_state& want,
                                                           std::uint64_t owner);

// The SET statement that turns `have` variables into `want` variables (empty if equal).
// Exposed for unit tests.
// `no_backslash_escapes`: the connection's sql_mode has NO_BACKSLASH_ESCAPES.
std::string build_set_statement(const session::replayable_state& have,
                                const session::replayable_state& want,
                                bool no_backslash_escapes = false);

}  // namespace shardgate::backend
