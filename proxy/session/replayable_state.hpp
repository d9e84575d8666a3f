// The part of a MySQL session that ShardGate can re-create on any backend connection:
// current schema, session system variables the client changed (as reported by the
// server's session tracker), the multi-statement option and LAST_INSERT_ID().
// A client session and each backend connection both keep one; before a statement runs,
// the connection's copy is brought in line with the session's (state_sync.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/session_state.hpp"

namespace shardgate::session {

struct replayable_state {
  std::string schema;
  std::vector<std::pair<std::string, std::string>> vars;  // in first-set order
  bool multi_statements = true;
  std::uint64_t last_insert_id = 0;
  std::uint64_t generation = 0;  // bumped on every change; cheap "did anything change?"

  const std::string* find_var(std::string_view name) const {
    for (const auto& [k, v] : vars)
      if (k == name) return &v;
    return nullptr;
  }
  void set_var(std::string_view name, std::string_view value) {
    ++generation;
    for (auto& [k, v] : vars)
      if (k == name) {
        v.assign(value);
        return;
      }
    vars.emplace_back(name, value);
  }
  void set_schema(std::string_view s) {
    if (schema != s) {
      schema.assign(s);
      ++generation;
    }
  }
  void set_last_insert_id(std::uint64_t id) {
    if (last_insert_id != id) {
      last_insert_id = id;
      ++generation;
    }
  }
  void set_multi_statements(bool on) {
    if (multi_statements != on) {
      multi_statements = on;
      ++generation;
    }
  }
};

// Applies the server's session-state reports to one or two states (the session's and
// the connection that ran its statement).
class state_tracker final : public protocol::session_state_visitor {
 public:
  state_tracker(replayable_state* a, replayable_state* b) : a_(a), b_(b) {}
  void on_system_variable(std::string_view name, std::string_view value) override {
    // Reports of read-only variables are news, not state to replay: MariaDB tracks
    // last_gtid by default (with a binary log, after every write).
    if (name == "last_gtid" || name == "LAST_GTID") return;
    if (a_) a_->set_var(name, value);
    if (b_) b_->set_var(name, value);
  }
  void on_schema(std::string_view schema) override {
    if (a_) a_->set_schema(schema);
    if (b_) b_->set_schema(schema);
  }

 private:
  replayable_state* a_;
  replayable_state* b_;
};

// Character-set variables for a handshake collation id (what the server would set).
void apply_handshake_collation(replayable_state& state, std::uint8_t collation_id);

}  // namespace shardgate::session
