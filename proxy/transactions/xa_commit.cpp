// transactions.cross_shard: xa - the coordinator's two-phase commit. A transaction
// opened with BEGIN / START TRANSACTION starts an XA branch on each shard it touches
// (XA START, see coordinator::join). Its COMMIT:
//   one branch:  XA END, XA COMMIT ... ONE PHASE (no decision record needed);
//   several:     XA END + XA PREPARE on each; any failure rolls every branch back;
//                then the commit decision is made durable (transactions::decision_log,
//                on its own thread); then XA COMMIT on each. A branch that cannot be
//                committed now is committed by recovery (transactions/xa_recovery.hpp),
//                which also rolls back every prepared branch without a decision - so a
//                crash at any point leaves all branches committed or all rolled back.
#include <spdlog/spdlog.h>

#include "execution/executor.hpp"
#include "protocol/constants.hpp"
#include "server/generation.hpp"
#include "transactions/coordinator.hpp"
#include "transactions/xa_ids.hpp"

namespace shardgate::transactions {

using namespace protocol;
using session::proceed;

namespace {

std::string describe(const mysql_error& e) {
  return std::to_string(e.code) + ": " + e.message;
}

}  // namespace

awaitable<std::optional<mysql_error>> coordinator::run_xa(int cluster, int verb) {
  auto& conn = s_.slots[cluster].conn;
  if (!conn || conn->broken())
    co_return mysql_error{er::server_lost, "HY000", "Lost connection to the backend"};
  transactions::xa_branch branch;
  branch.gtrid = s_.txn.xa_gtrid;
  branch.bqual = std::to_string(cluster);
  const std::string sql = transactions::xa_statement(static_cast<xa_verb>(verb), branch);
  auto err = co_await conn->run_internal(command::query, sql);
  if (err) spdlog::debug("client {}: {} failed: {}", s_.id, sql, describe(*err));
  co_return err;
}

// Runs `first` (and then `second`, if not none) on every branch at once: all commands are
// sent before any reply is read, so the shards work in parallel and a step costs one round
// trip in all. errors[k]: the step's outcome on branches[k] - the second command's when it
// succeeded (it is what happened), else the first error.
awaitable<void> coordinator::run_xa_step(const std::vector<int>& branches, int first, int second,
                                         std::vector<std::optional<mysql_error>>& errors) {
  errors.assign(branches.size(), std::nullopt);
  transactions::xa_branch branch;
  branch.gtrid = s_.txn.xa_gtrid;
  for (std::size_t k = 0; k < branches.size(); ++k) {
    auto& conn = s_.slots[branches[k]].conn;
    branch.bqual = std::to_string(branches[k]);
    const std::string a = transactions::xa_statement(static_cast<xa_verb>(first), branch);
    const std::string b =
        second >= 0 ? transactions::xa_statement(static_cast<xa_verb>(second), branch) : "";
    errors[k] = co_await conn->send_queries(a, b);
  }
  for (std::size_t k = 0; k < branches.size(); ++k) {
    auto& conn = s_.slots[branches[k]].conn;
    if (conn->broken()) continue;  // (its error is set)
    auto a = co_await conn->read_internal_reply(command::query);
    if (second < 0) {
      errors[k] = std::move(a);
      continue;
    }
    auto b = co_await conn->read_internal_reply(command::query);
    errors[k] = b ? (a ? std::move(a) : std::move(b)) : std::nullopt;
  }
  for (std::size_t k = 0; k < branches.size(); ++k)
    if (errors[k])
      spdlog::debug("client {}: XA step on shard {} failed: {} ({})", s_.id, branches[k],
                    errors[k]->message, errors[k]->code);
}

// Rolls back every branch (prepared or not). True when some branch is left to recovery
// (its connection is gone: a prepared branch survives it and recovery rolls it back).
awaitable<bool> coordinator::rollback_xa_branches(const std::vector<int>& branches) {
  bool left_to_recovery = false;
  for (int c : branches) {
    auto& conn = s_.slots[c].conn;
    if (conn->broken()) {
      left_to_recovery = true;
      continue;
    }
    auto end_reply =
        co_await run_xa(c, static_cast<int>(xa_verb::end));  // (fails if already ended)
    (void)end_reply;
    auto err = co_await run_xa(c, static_cast<int>(xa_verb::rollback));
    if (err && err->code != 1397 && err->code != 1402) {  // (XAER_NOTA, XA_RBROLLBACK: gone)
      conn->mark_broken();
      left_to_recovery = true;
    }
  }
  co_return left_to_recovery;
}

// Gives the branches' connections back (a failed one is closed: the server then rolls back
// a branch that was not prepared, and keeps a prepared one for recovery); the transaction
// is over.
void coordinator::finish_xa_branches(const std::vector<int>& branches) {
  for (int c : branches) {
    auto& slot = s_.slots[c];
    slot.xa = false;
    slot.wrote = false;
    if (slot.conn) ex_.give_back(c, !slot.conn->broken());
  }
  ended();
  s_.server_status = static_cast<std::uint16_t>(s_.server_status & ~status::in_trans);
}

// A COMMIT that cannot go on: every branch rolled back, the client told `error`.
awaitable<next> coordinator::abort_xa_commit(const std::vector<int>& branches,
                                             const mysql_error& error) {
  transactions::xa_coordinator& xa = *xa_;
  const bool left_to_recovery = co_await rollback_xa_branches(branches);
  finish_xa_branches(branches);
  xa.abandoned(s_.txn.xa_gtrid);
  if (left_to_recovery) xa.kick_recovery();
  s_.txn.xa_gtrid.clear();
  spdlog::warn("client {}: {}", s_.id, error.message);
  const bool sent = co_await client_.send_error(error);
  co_return proceed(sent);
}

awaitable<next> coordinator::end_xa_transaction(bool commit) {
  transactions::xa_coordinator& xa = *xa_;
  std::vector<int> branches, plain;
  for (std::size_t c = 0; c < s_.slots.size(); ++c) {
    const auto& slot = s_.slots[c];
    if (!slot.conn) continue;
    if (slot.xa)
      branches.push_back(static_cast<int>(c));
    else if (slot.conn->status & status::in_trans)
      plain.push_back(static_cast<int>(c));  // (not expected: ended like the others, in turn)
  }
  const auto name = [&](int c) -> const std::string& {
    return s_.config->clusters[static_cast<std::size_t>(c)].name;
  };
  const auto verb = [](xa_verb v) { return static_cast<int>(v); };
  auto finish = [&] { finish_xa_branches(branches); };
  for (int c : plain) {
    // A shard whose transaction is not an XA branch cannot take part in two-phase commit:
    // (not expected) it is rolled back, and so is the whole transaction.
    auto& conn = s_.slots[c].conn;
    auto err = co_await conn->run_internal(command::query, "ROLLBACK");
    if (err) conn->mark_broken();
    s_.slots[c].wrote = false;
    ex_.give_back(c, !conn->broken());
  }
  if (commit && !plain.empty()) {
    const mysql_error e{er::unknown_error, "HY000",
                        "ShardGate: COMMIT failed: shard " + name(plain.front()) +
                            " held a transaction outside two-phase commit; nothing was "
                            "committed: the transaction was rolled back on every shard"};
    co_return co_await abort_xa_commit(branches, e);
  }

  if (!commit) {
    for (int c : branches) {
      auto err = co_await run_xa(c, verb(xa_verb::end));
      if (!err) err = co_await run_xa(c, verb(xa_verb::rollback));
      if (err) {
        // Closing the connection rolls the (unprepared) branch back.
        spdlog::warn("client {}: XA ROLLBACK on shard {} failed ({}); closing the connection",
                     s_.id, name(c), describe(*err));
        s_.slots[c].conn->mark_broken();
      }
    }
    finish();
    xa.abandoned(s_.txn.xa_gtrid);
    s_.txn.xa_gtrid.clear();
    const bool sent = co_await client_.send_ok(s_.status_flags());
    co_return proceed(sent);
  }

  if (branches.size() == 1) {
    const int c = branches.front();
    std::vector<std::optional<mysql_error>> errors;
    co_await run_xa_step(branches, verb(xa_verb::end), verb(xa_verb::commit_one_phase), errors);
    auto err = std::move(errors.front());
    auto& conn = s_.slots[c].conn;
    const bool committing = true;  // (the COMMIT was sent with the END)
    std::optional<mysql_error> report;
    if (err && conn->broken()) {
      report =
          mysql_error{er::server_lost, "HY000",
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
    xa.abandoned(s_.txn.xa_gtrid);
    s_.txn.xa_gtrid.clear();
    if (report) {
      const bool sent = co_await client_.send_error(*report);
      co_return proceed(sent);
    }
    const bool sent = co_await client_.send_ok(s_.status_flags());
    co_return proceed(sent);
  }

  // Phase one: every branch prepared, or none committed.
  std::optional<mysql_error> failure;
  int failed_on = -1;
  std::vector<std::optional<mysql_error>> errors;
  co_await run_xa_step(branches, verb(xa_verb::end), verb(xa_verb::prepare), errors);
  for (std::size_t k = 0; k < branches.size() && !failure; ++k) {
    if (!errors[k]) continue;
    failure = errors[k];
    failed_on = branches[k];
  }
  if (failure) {
    mysql_error e = *failure;
    e.message = "ShardGate: COMMIT failed on shard " + name(failed_on) + " (" + describe(*failure) +
                "); nothing was committed: the transaction was rolled back on every shard";
    co_return co_await abort_xa_commit(branches, e);
  }
  xa.maybe_crash(crash_point::after_prepare);

  // The decision, durable before any branch commits.
  const auto decided = co_await xa.decide_commit(s_.txn.xa_gtrid);
  if (decided == transactions::write_outcome::not_written) {
    // Certainly not on disk: nothing is decided, so everything is rolled back.
    const mysql_error e{er::unknown_error, "HY000",
                        "ShardGate: COMMIT failed: the commit decision could not be written to "
                        "the XA decision log; nothing was committed: the transaction was rolled "
                        "back on every shard"};
    co_return co_await abort_xa_commit(branches, e);
  }
  if (decided == transactions::write_outcome::unknown) {
    for (int c : branches) s_.slots[c].conn->mark_broken();
    finish();
    xa.left_unresolved(s_.txn.xa_gtrid);
    s_.txn.xa_gtrid.clear();
    const mysql_error e{er::unknown_error, "HY000",
                        "ShardGate: COMMIT OUTCOME UNKNOWN: the commit decision could not be "
                        "written to the XA decision log; every shard holds the transaction "
                        "prepared, and ShardGate commits or rolls it back from the log when it "
                        "restarts"};
    const bool sent = co_await client_.send_error(e);
    co_return proceed(sent);
  }
  xa.maybe_crash(crash_point::after_decision);

  // Phase two: the transaction is committed; a branch that fails now is committed by
  // recovery.
  std::string unfinished;
  if (xa.crash_at() == crash_point::after_first_commit) {
    // (Fault injection: one branch committed, the other still prepared when the process
    // dies - so this test path commits one branch at a time.)
    std::vector<int> single(1);
    std::vector<std::optional<mysql_error>> one;
    for (std::size_t k = 0; k < branches.size(); ++k) {
      single[0] = branches[k];
      co_await run_xa_step(single, verb(xa_verb::commit), -1, one);
      if (k == 0) xa.maybe_crash(crash_point::after_first_commit);
      errors[k] = std::move(one.front());
    }
  } else {
    co_await run_xa_step(branches, verb(xa_verb::commit), -1, errors);
  }
  for (std::size_t k = 0; k < branches.size(); ++k) {
    if (!errors[k]) continue;
    // Detach the branch from this connection, so recovery can commit it.
    s_.slots[branches[k]].conn->mark_broken();
    unfinished +=
        (unfinished.empty() ? "" : ", ") + name(branches[k]) + " (" + describe(*errors[k]) + ")";
  }
  finish();
  if (unfinished.empty()) {
    xa.finished(s_.txn.xa_gtrid);
  } else {
    spdlog::warn(
        "client {}: XA transaction {} is committed (decision recorded), but XA COMMIT failed "
        "on {}; recovery commits those branches",
        s_.id, s_.txn.xa_gtrid, unfinished);
    xa.handed_over(s_.txn.xa_gtrid);
  }
  s_.txn.xa_gtrid.clear();
  const bool sent = co_await client_.send_ok(s_.status_flags());
  co_return proceed(sent);
}

}  // namespace shardgate::transactions
