// transactions.cross_shard: xa - the session side of two-phase commit. A transaction
// opened with BEGIN / START TRANSACTION starts an XA branch on each shard it touches
// (XA START, see join_transaction). Its COMMIT:
//   one branch:  XA END, XA COMMIT ... ONE PHASE (no decision record needed);
//   several:     XA END + XA PREPARE on each; any failure rolls every branch back;
//                then the commit decision is made durable (transactions::decision_log,
//                on its own thread); then XA COMMIT on each. A branch that cannot be
//                committed now is committed by recovery (transactions/xa_recovery.hpp),
//                which also rolls back every prepared branch without a decision - so a
//                crash at any point leaves all branches committed or all rolled back.
#include <spdlog/spdlog.h>

#include "protocol/constants.hpp"
#include "server/client_session.hpp"
#include "server/worker.hpp"
#include "transactions/xa_ids.hpp"

namespace shardgate::server {

using namespace protocol;
using transactions::crash_point;
using transactions::xa_verb;

namespace {

client_session::next proceed(bool sent) {
  return sent ? client_session::next::keep_going : client_session::next::close;
}

std::string describe(const mysql_error& e) {
  return std::to_string(e.code) + ": " + e.message;
}

}  // namespace

bool client_session::xa_open() const {
  for (const auto& slot : slots_)
    if (slot.conn && slot.xa) return true;
  return false;
}

void client_session::end_explicit_transaction() {
  explicit_txn_ = false;
  xa_txn_ = false;
  begin_text_.clear();
}

const char* client_session::cross_shard_hint() const {
  switch (config_->transactions.cross_shard) {
    case config::cross_shard_mode::reject:
      return "(transactions.cross_shard: reject)";
    case config::cross_shard_mode::best_effort:
      return "(transactions.cross_shard: best_effort)";
    case config::cross_shard_mode::xa:
      break;
  }
  return xa_txn_ ? "(transactions.cross_shard: xa)"
                 : "(transactions.cross_shard: xa spans shards only in a transaction opened "
                   "with BEGIN or START TRANSACTION, not READ ONLY)";
}

awaitable<std::optional<mysql_error>> client_session::run_xa(int cluster, int verb) {
  auto& conn = slots_[static_cast<std::size_t>(cluster)].conn;
  if (!conn || conn->broken())
    co_return mysql_error{er::server_lost, "HY000", "Lost connection to the backend"};
  transactions::xa_branch branch;
  branch.gtrid = xa_gtrid_;
  branch.bqual = std::to_string(cluster);
  const std::string sql = transactions::xa_statement(static_cast<xa_verb>(verb), branch);
  auto err = co_await conn->run_internal(command::query, sql);
  if (err) spdlog::debug("client {}: {} failed: {}", id_, sql, describe(*err));
  co_return err;
}

awaitable<client_session::next> client_session::end_xa_transaction(bool commit) {
  transactions::xa_coordinator& xa = *worker_.shared().xa;
  std::vector<int> branches, plain;
  for (std::size_t c = 0; c < slots_.size(); ++c) {
    const auto& slot = slots_[c];
    if (!slot.conn) continue;
    if (slot.xa)
      branches.push_back(static_cast<int>(c));
    else if (slot.conn->status & status::in_trans)
      plain.push_back(static_cast<int>(c));  // (not expected: ended like the others, in turn)
  }
  const auto name = [&](int c) -> const std::string& {
    return config_->clusters[static_cast<std::size_t>(c)].name;
  };
  const auto verb = [](xa_verb v) { return static_cast<int>(v); };
  // Gives the connections back (a failed one is closed: the server then rolls back a
  // branch that was not prepared, and keeps a prepared one for recovery).
  auto finish = [&] {
    for (int c : branches) {
      auto& slot = slots_[static_cast<std::size_t>(c)];
      slot.xa = false;
      slot.wrote = false;
      if (slot.conn) give_back_backend(c, !slot.conn->broken());
    }
    end_explicit_transaction();
    server_status_ = static_cast<std::uint16_t>(server_status_ & ~status::in_trans);
  };
  for (int c : plain) {
    auto& conn = slots_[static_cast<std::size_t>(c)].conn;
    auto err = co_await conn->run_internal(command::query, commit ? "COMMIT" : "ROLLBACK");
    if (err) conn->mark_broken();
    slots_[static_cast<std::size_t>(c)].wrote = false;
    give_back_backend(c, !conn->broken());
  }

  if (!commit) {
    for (int c : branches) {
      auto err = co_await run_xa(c, verb(xa_verb::end));
      if (!err) err = co_await run_xa(c, verb(xa_verb::rollback));
      if (err) {
        // Closing the connection rolls the (unprepared) branch back.
        spdlog::warn("client {}: XA ROLLBACK on shard {} failed ({}); closing the connection",
                     id_, name(c), describe(*err));
        slots_[static_cast<std::size_t>(c)].conn->mark_broken();
      }
    }
    finish();
    xa.abandoned(xa_gtrid_);
    xa_gtrid_.clear();
    const bool sent = co_await send_ok();
    co_return proceed(sent);
  }

  if (branches.size() == 1) {
    const int c = branches.front();
    auto err = co_await run_xa(c, verb(xa_verb::end));
    const bool committing = !err;
    if (committing) err = co_await run_xa(c, verb(xa_verb::commit_one_phase));
    auto& conn = slots_[static_cast<std::size_t>(c)].conn;
    std::optional<mysql_error> report;
    if (err && conn->broken()) {
      report = mysql_error{
          er::server_lost, "HY000",
          committing ? "ShardGate: the connection to shard " + name(c) +
                           " was lost during COMMIT; its OUTCOME IS UNKNOWN"
                     : "ShardGate: the connection to shard " + name(c) +
                           " was lost before COMMIT; the transaction was rolled back"};
    } else if (err) {
      // Refused (e.g. the branch was rolled back by a deadlock): make sure it is gone.
      auto gone = co_await run_xa(c, verb(xa_verb::rollback));
      if (gone && gone->code != 1397 && gone->code != 1402) conn->mark_broken();
      report = err;
    }
    finish();
    xa.abandoned(xa_gtrid_);
    xa_gtrid_.clear();
    if (report) {
      const bool sent = co_await send_error(*report);
      co_return proceed(sent);
    }
    const bool sent = co_await send_ok();
    co_return proceed(sent);
  }

  // Phase one: every branch prepared, or none committed.
  std::optional<mysql_error> failure;
  int failed_on = -1;
  for (int c : branches) {
    auto err = co_await run_xa(c, verb(xa_verb::end));
    if (!err) err = co_await run_xa(c, verb(xa_verb::prepare));
    if (err) {
      failure = std::move(err);
      failed_on = c;
      break;
    }
  }
  if (failure) {
    bool left_to_recovery = false;
    for (int c : branches) {
      auto& conn = slots_[static_cast<std::size_t>(c)].conn;
      if (conn->broken()) {
        left_to_recovery = true;  // a prepared branch survives: recovery rolls it back
        continue;
      }
      auto ended = co_await run_xa(c, verb(xa_verb::end));  // (fails where it already ended)
      (void)ended;
      auto err = co_await run_xa(c, verb(xa_verb::rollback));
      if (err && err->code != 1397 && err->code != 1402) {  // (XAER_NOTA, XA_RBROLLBACK: gone)
        conn->mark_broken();
        left_to_recovery = true;
      }
    }
    finish();
    xa.abandoned(xa_gtrid_);
    if (left_to_recovery) xa.kick_recovery();
    xa_gtrid_.clear();
    mysql_error e = *failure;
    e.message = "ShardGate: COMMIT failed on shard " + name(failed_on) + " (" +
                describe(*failure) +
                "); nothing was committed: the transaction was rolled back on every shard";
    spdlog::warn("client {}: {}", id_, e.message);
    const bool sent = co_await send_error(e);
    co_return proceed(sent);
  }
  xa.maybe_crash(crash_point::after_prepare);

  // The decision, durable before any branch commits.
  const bool decided = co_await xa.decide_commit(xa_gtrid_);
  if (!decided) {
    for (int c : branches) slots_[static_cast<std::size_t>(c)].conn->mark_broken();
    finish();
    xa.left_unresolved(xa_gtrid_);
    xa_gtrid_.clear();
    const mysql_error e{er::unknown_error, "HY000",
                        "ShardGate: COMMIT OUTCOME UNKNOWN: the commit decision could not be "
                        "written to the XA decision log; every shard holds the transaction "
                        "prepared, and ShardGate commits or rolls it back from the log when it "
                        "restarts"};
    const bool sent = co_await send_error(e);
    co_return proceed(sent);
  }
  xa.maybe_crash(crash_point::after_decision);

  // Phase two: the transaction is committed; a branch that fails now is committed by
  // recovery.
  std::string unfinished;
  bool first = true;
  for (int c : branches) {
    auto err = co_await run_xa(c, verb(xa_verb::commit));
    if (err) {
      // Detach the branch from this connection, so recovery can commit it.
      slots_[static_cast<std::size_t>(c)].conn->mark_broken();
      unfinished += (unfinished.empty() ? "" : ", ") + name(c) + " (" + describe(*err) + ")";
    }
    if (first) xa.maybe_crash(crash_point::after_first_commit);
    first = false;
  }
  finish();
  if (unfinished.empty()) {
    xa.finished(xa_gtrid_);
  } else {
    spdlog::warn(
        "client {}: XA transaction {} is committed (decision recorded), but XA COMMIT failed "
        "on {}; recovery commits those branches",
        id_, xa_gtrid_, unfinished);
    xa.handed_over(xa_gtrid_);
  }
  xa_gtrid_.clear();
  const bool sent = co_await send_ok();
  co_return proceed(sent);
}

}  // namespace shardgate::server
