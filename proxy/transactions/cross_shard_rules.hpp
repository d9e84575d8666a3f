// transactions.cross_shard: which shards a transaction may write on, as decisions over plain
// data (no I/O). The session asks before it runs a write (check_write) and when a
// transaction statement arrives (classify_transaction_statement, xa_refusal); how a
// transaction that spans shards commits (one after the other, or XA two-phase) is the
// commit paths' job.
//   reject       a transaction writes on one shard; a write elsewhere is refused and the
//                transaction stays open
//   best_effort  one transaction per shard, committed one after the other
//   xa           a transaction opened with BEGIN / START TRANSACTION (not READ ONLY) opens
//                an XA branch per shard, committed in two phases; otherwise as reject
#pragma once

#include <optional>

#include "config/config.hpp"
#include "protocol/errors.hpp"
#include "routing/router.hpp"
#include "session/backend_slots.hpp"

namespace shardgate::transactions {

// What a cross-shard decision reads about the session.
struct transaction_view {
  config::cross_shard_mode mode = config::cross_shard_mode::reject;
  bool xa_transaction = false;  // the explicit transaction opens XA branches (mode xa)
  bool in_transaction = false;  // an explicit transaction, or one open on some shard
  bool autocommit_off = false;
};

// Whether the transaction may write on several shards.
inline bool may_span_shards(const transaction_view& t) noexcept {
  return t.mode == config::cross_shard_mode::best_effort ||
         (t.mode == config::cross_shard_mode::xa && t.xa_transaction);
}

// "(transactions.cross_shard: reject)" and its kin, for refusals.
const char* cross_shard_hint(const transaction_view& t) noexcept;

// A write `plan` refused by the transaction rules (1235 / 42000, naming the shards and the
// setting), or nothing. `slots` tell where the transaction is open and has written;
// cluster names come from `cfg`.
std::optional<protocol::mysql_error> check_write(const transaction_view& t,
                                                 const session::backend_slots& slots,
                                                 const routing::route_plan& plan,
                                                 const config::config& cfg);

// A transaction statement (sql::statement_kind::transaction), as its words say.
struct transaction_statement {
  bool begin = false;             // BEGIN / START TRANSACTION
  bool end = false;               // COMMIT / ROLLBACK (not ROLLBACK TO SAVEPOINT)
  bool commit = false;            // COMMIT
  bool app_xa = false;            // the application's own XA ... statement
  bool multiple = false;          // part of a multi-statement text
  bool chain_or_release = false;  // AND CHAIN / RELEASE (not NO CHAIN / NO RELEASE)
  bool read_only = false;         // READ ONLY
  bool snapshot = false;          // WITH CONSISTENT SNAPSHOT
};
transaction_statement classify_transaction_statement(const routing::parsed_statement& parsed);

// Under transactions.cross_shard: xa, why `st` cannot run (`xa_active`: the session's
// transaction is, or will be, XA branches), or null.
const char* xa_refusal(const transaction_statement& st, bool xa_active) noexcept;

}  // namespace shardgate::transactions
