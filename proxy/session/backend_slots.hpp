// The backend connections a client session holds, one slot per cluster of its
// configuration (indexes of config::clusters). A statement borrows a connection into its
// cluster's slot for its duration; the slot keeps it after the statement only while the
// session must stay on it (must_keep: an open transaction, an XA branch, pinned state, an
// open cursor, or a server that cannot report session changes).
// Plain data and questions about it; borrowing and giving back (pools, state sync) is the
// executor's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend_connection.hpp"
#include "protocol/constants.hpp"

namespace shardgate::backend {
class connection_pool;
}

namespace shardgate::session {

struct cluster_slot {
  std::unique_ptr<backend::backend_connection> conn;
  backend::connection_pool* pool = nullptr;  // where `conn` came from
  bool reader = false;  // `conn` is a reader's (for one replica-safe read, never kept)
  const backend::backend_connection* last = nullptr;  // preferred next time
  bool wrote = false;                                 // wrote in the current transaction
  bool xa = false;  // the session's XA branch is open on `conn` (transactions.cross_shard: xa)
  std::uint32_t cursors = 0;  // prepared statements' cursors open on `conn` (pinned)

  // The server says a transaction is open on the held connection.
  bool in_transaction() const noexcept {
    return conn && (conn->status & protocol::status::in_trans);
  }
};

class backend_slots {
 public:
  // One empty slot per cluster (a new configuration generation; held connections must
  // have been given back).
  void reset(std::size_t clusters) {
    slots_.clear();
    slots_.resize(clusters);
  }
  std::size_t size() const noexcept { return slots_.size(); }
  cluster_slot& operator[](int cluster) { return slots_[static_cast<std::size_t>(cluster)]; }
  const cluster_slot& operator[](int cluster) const {
    return slots_[static_cast<std::size_t>(cluster)];
  }
  auto begin() noexcept { return slots_.begin(); }
  auto end() noexcept { return slots_.end(); }
  auto begin() const noexcept { return slots_.begin(); }
  auto end() const noexcept { return slots_.end(); }

  // Some slot holds a connection.
  bool any_held() const noexcept {
    for (const auto& s : slots_)
      if (s.conn) return true;
    return false;
  }
  // Clusters where the server reports an open transaction.
  int open_transactions() const noexcept {
    int n = 0;
    for (const auto& s : slots_)
      if (s.in_transaction()) ++n;
    return n;
  }
  bool any_transaction() const noexcept {
    for (const auto& s : slots_)
      if (s.in_transaction()) return true;
    return false;
  }
  // Some held connection has the session's XA branch open.
  bool any_xa() const noexcept {
    for (const auto& s : slots_)
      if (s.conn && s.xa) return true;
    return false;
  }
  // Where an open transaction lives: the first cluster it wrote on, else the first where
  // it is open; -1 when none is open.
  int transaction_home() const noexcept {
    for (std::size_t c = 0; c < slots_.size(); ++c)
      if (slots_[c].in_transaction() && slots_[c].wrote) return static_cast<int>(c);
    for (std::size_t c = 0; c < slots_.size(); ++c)
      if (slots_[c].in_transaction()) return static_cast<int>(c);
    return -1;
  }
  // The connection of `cluster` stays with the session after the statement: while a
  // transaction is open on it (with autocommit off too: a transaction exists only while
  // the server says IN_TRANS; the autocommit setting itself is replayed like any
  // variable), an XA branch or a cursor is open on it, the session holds state that
  // cannot be replayed (`pinned`), or the server cannot report session changes.
  bool must_keep(int cluster, bool pinned) const noexcept {
    const cluster_slot& s = (*this)[cluster];
    return pinned || s.in_transaction() || s.xa ||
           (s.conn && !(s.conn->capabilities() & protocol::cap::session_track)) || s.cursors > 0;
  }

 private:
  std::vector<cluster_slot> slots_;
};

}  // namespace shardgate::session
