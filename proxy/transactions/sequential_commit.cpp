// transactions.cross_shard: best_effort (and a read-only transaction on several shards under
// reject): COMMIT / ROLLBACK end the transaction on each shard in turn. A COMMIT that fails
// on the first shard rolls the others back; one that fails after a shard committed goes on
// with the rest and reports exactly which shards committed and which did not.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "execution/executor.hpp"
#include "protocol/constants.hpp"
#include "transactions/coordinator.hpp"

namespace shardgate::transactions {

using namespace protocol;
using session::proceed;

awaitable<next> coordinator::end_in_turn(std::vector<int>& open, bool commit,
                                         std::string_view sql) {
  // Shards that wrote commit first: a failure there can still undo the rest.
  std::stable_partition(open.begin(), open.end(), [&](int c) { return s_.slots[c].wrote; });
  std::string committed, not_committed;
  std::optional<mysql_error> first_failure;
  bool rolling_back = !commit;
  bool wrote_committed = false;
  bool unknown = false;
  for (int c : open) {
    auto& conn = s_.slots[c].conn;
    const std::string& name = s_.config->clusters[static_cast<std::size_t>(c)].name;
    const bool wrote = s_.slots[c].wrote;
    std::optional<mysql_error> err;
    if (rolling_back) {
      err = co_await conn->run_internal(command::query, "ROLLBACK");
      if (commit && wrote)
        not_committed += (not_committed.empty() ? "" : ", ") + name + " (rolled back)";
    } else {
      err = co_await conn->run_internal(command::query, sql);
      if (!err) {
        if (wrote) {
          committed += (committed.empty() ? "" : ", ") + name;
          wrote_committed = true;
        }
      } else if (conn->broken()) {
        // The connection died during COMMIT: the shard may or may not have committed.
        not_committed += (not_committed.empty() ? "" : ", ") + name +
                         " (OUTCOME UNKNOWN: the connection was lost during COMMIT)";
        unknown = true;
        if (!wrote_committed) rolling_back = true;
      } else {
        not_committed += (not_committed.empty() ? "" : ", ") + name + " (" +
                         std::to_string(err->code) + ": " + err->message + ")";
        co_await conn->run_internal(command::query, "ROLLBACK");
        if (!wrote_committed) rolling_back = true;  // nothing committed yet: undo all
      }
    }
    if (err && !first_failure) first_failure = *err;
    s_.slots[c].wrote = false;
    ex_.give_back(c, !conn->broken());
  }
  ended();
  s_.server_status = static_cast<std::uint16_t>(s_.server_status & ~status::in_trans);
  if (first_failure) {
    mysql_error e = *first_failure;
    if (commit && open.size() > 1) {
      if (wrote_committed)
        e.message = "ShardGate: COMMIT was NOT atomic across shards: committed on " + committed +
                    "; failed on " + not_committed;
      else if (unknown)
        e.message =
            "ShardGate: COMMIT failed; its outcome is unknown on some shards, the "
            "others were rolled back (" +
            not_committed + ")";
      else
        e.message = "ShardGate: COMMIT failed; nothing was committed (" + not_committed + ")";
      if (wrote_committed || unknown) {
        commit_failures_.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("client {}: {}", s_.id, e.message);
      }
    }
    const bool sent = co_await client_.send_error(e);
    co_return proceed(sent);
  }
  const bool sent = co_await client_.send_ok(s_.status_flags());
  co_return proceed(sent);
}

}  // namespace shardgate::transactions
