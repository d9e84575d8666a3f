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

awaitable<std::optional<protocol::mysql_error>> sync_state(backend_connection& conn,
                                                           const session::replayable_state& want,
                                                           std::uint64_t owner);

// The SET statement that turns `have` variables into `want` variables (empty if equal).
// Exposed for unit tests.
std::string build_set_statement(const session::replayable_state& have,
                                const session::replayable_state& want);

}  // namespace shardgate::backend
