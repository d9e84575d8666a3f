// ShardGate's own session settings, set with SET like a server variable (the servers do
// not know them, so ShardGate answers the SET itself): today
//   SET [SESSION | LOCAL] shardgate_max_execution_ms = N | DEFAULT   (also @@[session.]...)
// the statement deadline of this session, 0 (none) to 86400000 ms, DEFAULT meaning
// routing.max_execution_ms. Pure: reads the parsed SET.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/errors.hpp"
#include "routing/statement_parser.hpp"

namespace shardgate::session {

struct setting_change {
  std::int64_t max_execution_ms = -1;          // -1: DEFAULT (routing.max_execution_ms)
  std::optional<protocol::mysql_error> error;  // a ShardGate setting, but not a valid value
};

// What a SET statement sets of ShardGate's settings; nothing when it sets something else.
std::optional<setting_change> shardgate_setting(const routing::parsed_statement& p);

}  // namespace shardgate::session
