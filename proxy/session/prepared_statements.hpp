// A client session's server-side prepared statements (COM_STMT_PREPARE). ShardGate gives
// each its own id; the statement is prepared on a backend connection only when it runs
// there (backend_connection::prepare, cached per connection), so statements survive
// multiplexing: any pooled connection of any shard can run them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "routing/bind_params.hpp"

namespace shardgate::session {

struct client_statement {
  std::uint32_t id = 0;
  std::string schema;  // the current database when it was prepared
  std::string sql;
  // Where the `?` are (byte offsets in sql); `placeholders_ok`: the lexer found exactly
  // as many as the server counted, so parameter values can be put in their place.
  std::vector<routing::placeholder> placeholders;
  bool placeholders_ok = false;
  std::uint16_t params = 0;
  std::uint16_t columns = 0;
  std::vector<std::uint8_t> types;                    // 2 per parameter, the last bound
  std::vector<std::optional<std::string>> long_data;  // COM_STMT_SEND_LONG_DATA, per param
  std::size_t long_data_bytes = 0;
  bool pins = false;  // runs something that ties the session to its connection
  // Where it runs when that does not depend on the parameter values: its route with the
  // placeholders in place was one cluster (a key given as a literal, an unsharded table,
  // no table). Then executions skip binding and routing. Valid for the configuration
  // generation it was found in only (a reload may move tables and renumber clusters).
  bool fixed_route = false;
  std::uint64_t fixed_generation = 0;
  int fixed_cluster = -1;
  std::uint8_t fixed_kind = 0;  // sql::statement_kind
  bool fixed_write = false;
  bool fixed_tableless = false;
  bool fixed_broadcast_read = false;
  bool fixed_replica_ok = false;  // a replica may answer it (routing::replica_may_answer)
  // Its fingerprint for the query statistics and slow log (computed at the first
  // execution that needs it; empty: not yet).
  std::string fingerprint;
  std::uint64_t fingerprint_hash = 0;
  // The last backend connection that ran it: (backend_connection::prepared_epoch, id).
  std::uint64_t cached_epoch = 0;
  std::uint32_t cached_backend_id = 0;
  // An open server-side cursor (COM_STMT_EXECUTE with a cursor flag, one shard): the
  // cluster whose pinned connection holds it, and the statement id there. -1: none.
  int cursor_cluster = -1;
  std::uint32_t cursor_backend_id = 0;

  bool has_long_data() const noexcept { return long_data_bytes > 0 || !long_data.empty(); }
  void clear_long_data() {
    long_data.clear();
    long_data_bytes = 0;
  }
};

class statement_registry {
 public:
  client_statement& add() {
    auto st = std::make_unique<client_statement>();
    st->id = next_id_++;
    if (next_id_ == 0 || next_id_ == 0xffffffffu) next_id_ = 1;
    client_statement& ref = *st;
    last_ = ref.id;
    statements_[ref.id] = std::move(st);
    return ref;
  }
  // `id` -1 (MariaDB) names the statement prepared last.
  client_statement* find(std::uint32_t id) {
    if (id == 0xffffffffu) id = last_;
    auto it = statements_.find(id);
    return it == statements_.end() ? nullptr : it->second.get();
  }
  void remove(std::uint32_t id) { statements_.erase(id); }
  template <typename F>
  void for_each(F&& f) {
    for (auto& [id, st] : statements_) f(*st);
  }
  void clear() {
    statements_.clear();
    last_ = 0;
  }
  // A failed COM_STMT_PREPARE: a following execute of -1 must fail, not run an older one.
  void forget_last() { last_ = 0; }
  std::size_t size() const noexcept { return statements_.size(); }

 private:
  std::map<std::uint32_t, std::unique_ptr<client_statement>> statements_;
  std::uint32_t next_id_ = 1;
  std::uint32_t last_ = 0;
};

}  // namespace shardgate::session
