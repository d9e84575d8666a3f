#include "transactions/xa_recovery.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <unordered_set>

#include "protocol/errors.hpp"

namespace shardgate::transactions {

namespace {

// XAER_NOTA for a branch XA RECOVER just listed: it is still attached to a connection the
// server has not noticed is gone (a ShardGate connection closed a moment ago, or one of a
// crashed host until wait_timeout). It is retried; it is not resolved.
constexpr std::uint16_t xaer_nota = 1397;
// XA_RBROLLBACK: MariaDB's answer for a prepared branch that changed nothing (a read-only
// branch left by a lost connection) - to XA COMMIT and XA ROLLBACK alike; it is gone then.
constexpr std::uint16_t xa_rbrollback = 1402;

}  // namespace

awaitable<recovery_result> recover_once(xa_coordinator& xa,
                                        const std::vector<recovery_target>& targets) {
  recovery_result result;
  // Decided transactions to look for (before asking: one decided meanwhile is not here).
  const std::vector<std::string> decided = xa.decided_unfinished();
  std::unordered_set<std::string> still_prepared;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<backend::backend_connection::value_column> columns;
  for (const auto& target : targets) {
    const std::shared_ptr<backend::connection_pool> pool_ref = target.pool();
    if (!pool_ref) {
      ++result.unreachable;
      continue;
    }
    backend::connection_pool& pool = *pool_ref;
    auto got = co_await pool.acquire({});
    if (!got.conn) {
      ++result.unreachable;
      spdlog::debug("XA recovery: cluster {} unreachable: {}", target.cluster,
                    got.error ? got.error->message : std::string("?"));
      continue;
    }
    auto& conn = *got.conn;
    constexpr std::size_t max_rows = 100000;
    auto err = co_await conn.query_rows("XA RECOVER", rows, columns, max_rows);
    if (!err && rows.size() >= max_rows) {
      // (Not every branch was seen: no decision may be forgotten after this pass.)
      ++result.unreachable;
      spdlog::warn("XA recovery: cluster {} lists {}+ prepared branches; resolving the first {}",
                   target.cluster, max_rows, max_rows);
    }
    if (err) {
      ++result.unreachable;
      spdlog::warn("XA recovery: XA RECOVER on cluster {} failed: {} ({})", target.cluster,
                   err->message, err->code);
      pool.release(std::move(got.conn));
      continue;
    }
    for (const auto& row : rows) {
      if (row.size() < 4 || !row[0] || !row[1] || !row[2] || !row[3]) continue;
      const auto branch = parse_recover_row(*row[0], *row[1], *row[2], *row[3]);
      if (!branch) continue;
      const auto verdict = xa.judge(*branch);
      if (verdict == xa_coordinator::verdict::not_ours) continue;
      if (verdict == xa_coordinator::verdict::in_use) {
        ++result.in_use;
        still_prepared.insert(branch->gtrid);
        continue;
      }
      const bool commit = verdict == xa_coordinator::verdict::commit;
      const std::string sql = xa_statement(commit ? xa_verb::commit : xa_verb::rollback, *branch);
      auto done = co_await conn.run_internal(protocol::command::query, sql);
      if (done && done->code == xaer_nota) {
        ++result.failed;
        still_prepared.insert(branch->gtrid);
        spdlog::info(
            "XA recovery: branch '{}','{}' on cluster {} is still attached to a "
            "connection the server holds; retrying",
            branch->gtrid, branch->bqual, target.cluster);
        continue;
      }
      if (done && done->code != xa_rbrollback) {
        ++result.failed;
        still_prepared.insert(branch->gtrid);
        spdlog::error("XA recovery: {} on cluster {} failed: {} ({})", sql, target.cluster,
                      done->message, done->code);
        if (conn.broken()) break;
        continue;
      }
      (commit ? result.committed : result.rolled_back) += 1;
      spdlog::warn(
          "XA recovery: {} branch '{}','{}' on cluster {} ({})",
          commit ? "committed" : "rolled back", branch->gtrid, branch->bqual, target.cluster,
          commit ? "its commit decision is in the log" : "no commit decision was recorded");
    }
    if (conn.broken()) ++result.unreachable;
    pool.release(std::move(got.conn));
  }
  if (result.unreachable == 0)
    for (const auto& g : decided)
      if (!still_prepared.count(g)) xa.forget_decided(g);
  co_return result;
}

awaitable<void> recovery_loop(xa_coordinator& xa,
                              std::function<std::vector<recovery_target>()> current_targets,
                              std::chrono::seconds interval) {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor);
  auto kicked = std::make_shared<bool>(false);
  // Kicks come from any thread: they run on this loop's executor.
  xa.set_recovery_kick([executor, weak = std::weak_ptr<asio::steady_timer>(timer), kicked] {
    asio::post(executor, [weak, kicked] {
      *kicked = true;
      if (auto t = weak.lock()) t->cancel();
    });
  });
  std::size_t quiet_unreachable = 0;
  for (;;) {
    *kicked = false;
    const std::vector<recovery_target> targets = current_targets();
    const recovery_result r = co_await recover_once(xa, targets);
    if (r.committed || r.rolled_back || r.failed)
      spdlog::info(
          "XA recovery pass: {} branches committed, {} rolled back, {} failed, {} clusters "
          "unreachable",
          r.committed, r.rolled_back, r.failed, r.unreachable);
    else if (r.unreachable != quiet_unreachable)
      spdlog::info("XA recovery pass: {} of {} clusters unreachable (retried every {} s)",
                   r.unreachable, targets.size(), interval.count());
    quiet_unreachable = r.unreachable;
    if (*kicked) continue;
    // (A branch that could not be resolved is retried sooner.)
    timer->expires_after(
        r.failed ? std::min<std::chrono::seconds>(interval, std::chrono::seconds(5)) : interval);
    auto [ec] = co_await timer->async_wait(nothrow_awaitable);
    (void)ec;
  }
}

}  // namespace shardgate::transactions
