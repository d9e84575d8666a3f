// Recovery of ShardGate's prepared XA branches (transactions.cross_shard: xa): at start and
// then periodically, XA RECOVER on every cluster; each branch of this instance that no
// session holds is committed if its transaction's commit decision is recorded, and rolled
// back otherwise. A decided transaction found nowhere any more (every cluster answered) is
// marked done in the decision log. Runs on one worker's io_context with its pools.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "backend/connection_pool.hpp"
#include "net/asio.hpp"
#include "transactions/xa_coordinator.hpp"

namespace shardgate::transactions {

struct recovery_target {
  std::string cluster;
  // The cluster's writer pool now (the writer may change between passes; null: the
  // cluster is no longer configured).
  std::function<std::shared_ptr<backend::connection_pool>()> pool;
};

struct recovery_result {
  std::size_t committed = 0;
  std::size_t rolled_back = 0;
  std::size_t failed = 0;       // XA COMMIT / ROLLBACK refused (left for the next pass)
  std::size_t unreachable = 0;  // clusters that could not be asked
  std::size_t in_use = 0;       // branches of transactions a session is still ending
};

awaitable<recovery_result> recover_once(xa_coordinator& xa,
                                        const std::vector<recovery_target>& targets);

// recover_once now, then every `interval` and whenever the coordinator is kicked, until
// the io_context stops.
// `targets` is asked before each pass (a reload may add or remove clusters).
awaitable<void> recovery_loop(xa_coordinator& xa,
                              std::function<std::vector<recovery_target>()> targets,
                              std::chrono::seconds interval);

}  // namespace shardgate::transactions
