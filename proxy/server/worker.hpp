// A worker: one thread running one io_context, with its own backend pools and client
// sessions. Sessions never move between workers, so the query path shares no locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/cluster_health.hpp"
#include "backend/connection_pool.hpp"
#include "backend/health_checker.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"
#include "routing/placement.hpp"
#include "routing/router.hpp"
#include "transactions/xa_coordinator.hpp"

namespace shardgate::server {

class client_session;

// State every worker reads; touched on connect/disconnect, never per statement.
struct shared_state {
  std::atomic<std::uint32_t> clients{0};
  std::atomic<std::uint32_t> live_sessions{0};
  std::atomic<std::uint32_t> next_connection_id{1};
  std::atomic<std::uint64_t> next_session_token{1};
  // COMMITs of cross-shard transactions (best_effort) that committed on some shards only.
  std::atomic<std::uint64_t> cross_shard_commit_failures{0};
  // Two-phase commit (transactions.cross_shard: xa); null otherwise.
  transactions::xa_coordinator* xa = nullptr;
  // Endpoint health checks and writer discovery (set before the workers start).
  backend::health_checker* health_checker = nullptr;
  std::uint32_t max_clients = 0;

  // Advertised until a backend has told its version (e.g. it was down at start).
  static constexpr const char* fallback_server_version = "5.7.99";

  // A configured version is final; a learned one is taken once, from the first backend
  // login that succeeds.
  void set_server_version(std::string v) {
    std::lock_guard lock(mutex_);
    server_version_ = std::move(v);
    final_ = true;
  }
  void learn_server_version(const std::string& backend_version) {
    std::lock_guard lock(mutex_);
    if (final_) return;
    server_version_ = backend_version + "-ShardGate";
    final_ = true;
  }
  std::string server_version() const {
    std::lock_guard lock(mutex_);
    return server_version_;
  }

 private:
  mutable std::mutex mutex_;
  std::string server_version_ = std::string(fallback_server_version) + "-ShardGate";
  bool final_ = false;
};

class worker {
 public:
  worker(unsigned index, unsigned worker_count, shared_state& shared,
         std::shared_ptr<const config::config> cfg,
         std::shared_ptr<const routing::topology> topology, backend::fleet_health& health);
  ~worker();

  asio::io_context& context() noexcept { return context_; }
  unsigned index() const noexcept { return index_; }
  const std::shared_ptr<const config::config>& config() const noexcept { return config_; }
  // This worker's pool for the writer of cluster `index` (an index into config::clusters):
  // the endpoint the health checker last found writable.
  backend::connection_pool& pool(int index) noexcept {
    auto& endpoints = pools_[static_cast<std::size_t>(index)];
    if (endpoints.size() == 1) return *endpoints.front();
    return *endpoints[static_cast<std::size_t>(health_[index].writer())];
  }
  // A reader's pool for an autocommit read on cluster `index`: among the endpoints that
  // serve reads now (reachable, not the writer, within max_replica_lag_ms, breaker not
  // open), the least loaded by weight. Null: none (the read goes to the writer).
  backend::connection_pool* reader_pool(int index) noexcept;
  bool has_readers(int index) const noexcept {
    return pools_[static_cast<std::size_t>(index)].size() > 1;
  }
  backend::cluster_health& health(int index) noexcept { return health_[index]; }
  int default_cluster() const noexcept { return default_cluster_; }
  // The worker's router: used synchronously by one session at a time (one thread).
  routing::router& router() noexcept { return router_; }
  std::string server_version() const { return shared_.server_version(); }
  shared_state& shared() noexcept { return shared_; }

  std::uint64_t next_session_token() {
    return shared_.next_session_token.fetch_add(1, std::memory_order_relaxed);
  }
  bool admit_client();
  void release_client();

  // Runs on this worker's thread (post to it).
  void start_session(tcp::socket socket);
  void begin_drain();
  void stop();

  void start_thread();
  void join();

 private:
  friend awaitable<void> run_session(worker* w, std::unique_ptr<client_session> session);

  unsigned index_;
  shared_state& shared_;
  std::shared_ptr<const config::config> config_;
  std::list<client_session*> sessions_;
  bool draining_ = false;
  // Declared before the pools, so the pools are destroyed while it still exists.
  asio::io_context context_;
  // By cluster index, then endpoint index (0: the configured writer, 1..: readers).
  std::vector<std::vector<std::unique_ptr<backend::connection_pool>>> pools_;
  backend::fleet_health& health_;
  std::vector<backend::reader_candidate> candidates_;  // reader_pool's scratch
  std::uint32_t reader_rotation_ = 0;
  int default_cluster_ = 0;
  routing::router router_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace shardgate::server
