// How a COMMIT / ROLLBACK ends the explicit transaction on the shards it reached: one
// interface, one implementation per protocol; the coordinator picks one at each end
// (coordinator::protocol_for):
//   single shard  the transaction is open on one shard: the statement runs there, streamed
//                 like any other (any transactions.cross_shard mode);
//   in turn       several shards (best_effort, or a read-only transaction under reject or
//                 outside XA): each shard in turn, the writers first, reporting exactly
//                 which committed (sequential_commit.cpp);
//   two-phase     XA branches (xa): XA END + PREPARE everywhere, the decision made durable,
//                 XA COMMIT each (xa_commit.cpp).
// Where a transaction may write is the other half of a mode, decided before a write runs
// (cross_shard_rules.hpp: reject and best_effort differ only there).
#pragma once

#include <string_view>
#include <vector>

#include "net/asio.hpp"
#include "session/session_data.hpp"

namespace shardgate::transactions {

class coordinator;

class commit_protocol {
 public:
  virtual const char* name() const noexcept = 0;
  // Ends the transaction open on `open` (cluster indexes) with COMMIT (`commit`) or
  // ROLLBACK; `sql` is the client's statement. Replies to the client.
  virtual awaitable<session::next> end(coordinator& c, std::vector<int>& open, bool commit,
                                       std::string_view sql) const = 0;

 protected:
  ~commit_protocol() = default;
};

const commit_protocol& single_shard_commit() noexcept;
const commit_protocol& in_turn_commit() noexcept;
const commit_protocol& two_phase_commit() noexcept;

}  // namespace shardgate::transactions
