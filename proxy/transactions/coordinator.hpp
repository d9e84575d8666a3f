// The session's transaction across shards (vtgate's TxConn): which shards it is open on,
// whether it may reach another (the admission rules of cross_shard_rules.hpp), and how it
// ends. BEGIN / START TRANSACTION open it lazily, on each shard a statement reaches (join);
// COMMIT / ROLLBACK end it by one of three protocols (commit_protocol.hpp: single shard, in
// turn, two-phase).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "net/asio.hpp"
#include "protocol/errors.hpp"
#include "server/client_channel.hpp"
#include "session/session_data.hpp"
#include "transactions/commit_protocol.hpp"
#include "transactions/cross_shard_rules.hpp"
#include "transactions/xa_coordinator.hpp"

namespace shardgate::execution {
class executor;
}

namespace shardgate::transactions {

using session::next;

class coordinator {
 public:
  // `xa`: null unless transactions.cross_shard is xa. `commit_failures` counts COMMITs that were
  // not atomic across shards (or whose outcome is unknown) for the metrics.
  coordinator(session::session_data& s, server::client_channel& client, execution::executor& ex,
              xa_coordinator* xa, std::atomic<std::uint64_t>& commit_failures)
      : s_(s), client_(client), ex_(ex), xa_(xa), commit_failures_(commit_failures) {}
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  // What the cross-shard rules decide on.
  transaction_view view() const noexcept {
    return {s_.config->transactions.cross_shard, s_.txn.xa, s_.in_transaction(),
            s_.modes.autocommit_off};
  }
  // Whether a routed statement may run as the transaction stands: DDL cannot commit XA
  // branches implicitly, a multi-statement text cannot end a transaction open on several
  // shards. Nothing: it may (DDL before any XA branch ends the empty transaction here).
  std::optional<protocol::mysql_error> admit(const routing::route_plan& plan);
  // transactions.cross_shard: whether a write may run where the transaction is.
  std::optional<protocol::mysql_error> admit_write(const routing::route_plan& plan) const {
    return check_write(view(), s_.slots, plan, *s_.config);
  }
  // Opens the explicit transaction on `cluster` (whose connection is borrowed) if it is not
  // open there yet: its BEGIN, or XA START of the shard's branch.
  awaitable<std::optional<protocol::mysql_error>> join(int cluster);
  // A transaction statement (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...), reply included.
  awaitable<next> statement(std::string_view sql);
  // The explicit transaction is over (its XA id, if any, is let go by the XA paths or by
  // abandon).
  void ended() noexcept {
    s_.txn.open = false;
    s_.txn.xa = false;
    s_.txn.begin_text.clear();
  }
  // Some held connection has the session's XA branch open.
  bool xa_open() const noexcept { return s_.slots.any_xa(); }
  // The session gives its connections up (reset, close): branches still open are ACTIVE
  // (never prepared outside the commit), and the reset or the closed connection rolls them
  // back; the XA id is let go.
  void abandon();

  // The protocol that ends a transaction open on `open` (commit_protocol.hpp).
  const commit_protocol& protocol_for(const std::vector<int>& open) const noexcept {
    if (xa_open()) return two_phase_commit();
    if (open.size() == 1) return single_shard_commit();
    return in_turn_commit();
  }
  // The protocols' steps (commit_protocol.cpp).
  // The client's COMMIT / ROLLBACK on the one shard where the transaction is, streamed.
  awaitable<next> end_on_shard(int cluster);
  // COMMIT / ROLLBACK on every shard in `open` in turn (none: answered here).
  awaitable<next> end_in_turn(std::vector<int>& open, bool commit, std::string_view sql);
  // COMMIT / ROLLBACK of a transaction with XA branches: one branch commits in one phase,
  // several in two.
  awaitable<next> end_xa_transaction(bool commit);

 private:
  awaitable<bool> rollback_xa_branches(const std::vector<int>& branches);
  void finish_xa_branches(const std::vector<int>& branches);
  awaitable<next> abort_xa_commit(const std::vector<int>& branches,
                                  const protocol::mysql_error& error);
  awaitable<void> run_xa_step(const std::vector<int>& branches, int first, int second,
                              std::vector<std::optional<protocol::mysql_error>>& errors);
  awaitable<std::optional<protocol::mysql_error>> run_xa(int cluster, int verb);

  session::session_data& s_;
  server::client_channel& client_;
  execution::executor& ex_;
  xa_coordinator* xa_;
  std::atomic<std::uint64_t>& commit_failures_;
};

}  // namespace shardgate::transactions
