// The session-state-change block of an OK packet (CLIENT_SESSION_TRACK): which system
// variables and which schema the server reports as changed by the statement.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

enum class session_track_type : std::uint8_t {
  system_variables = 0,
  schema = 1,
  state_change = 2,
  gtids = 3,
  transaction_characteristics = 4,
  transaction_state = 5,
};

struct session_state_visitor {
  virtual ~session_state_visitor() = default;
  virtual void on_system_variable(std::string_view name, std::string_view value) = 0;
  virtual void on_schema(std::string_view schema) = 0;
};

// Walks the entries of a session-state block; unknown entry types are skipped.
[[nodiscard]] bool parse_session_state(byte_span block, session_state_visitor& visitor);

// Encoding helpers (used by tests and by ShardGate when it answers locally).
void append_session_variable(bytes& block, std::string_view name, std::string_view value);
void append_session_schema(bytes& block, std::string_view schema);

}  // namespace shardgate::protocol
