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

#include "config/config.hpp"
#include "limits/limits.hpp"
#include "metrics/query_stats.hpp"
#include "metrics/worker_metrics.hpp"
#include "net/asio.hpp"
#include "server/auth_cache.hpp"
#include "server/generation.hpp"
#include "transactions/xa_coordinator.hpp"

namespace spdlog {
class logger;
}

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
  // Client limits (rate limits, connection limits, failed-login throttling).
  limits::registry* limits = nullptr;
  // caching_sha2_password's fast-path cache (see auth_cache.hpp).
  auth_cache sha2_cache;
  std::atomic<std::uint32_t> max_clients{0};  // listen.max_client_connections (reloadable)
  // The live settings a reload may change that are not part of a generation.
  std::atomic<std::uint32_t> slow_query_ms{0};  // 0: no slow log
  std::atomic<bool> metrics_on{true};

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
  // logging.slow_log's logger (null: slow statements go to the main log).
  void set_slow_log(std::shared_ptr<spdlog::logger> log) {
    std::lock_guard lock(mutex_);
    slow_log_ = std::move(log);
  }
  std::shared_ptr<spdlog::logger> slow_log() const {
    std::lock_guard lock(mutex_);
    return slow_log_;
  }

 private:
  mutable std::mutex mutex_;
  std::string server_version_ = std::string(fallback_server_version) + "-ShardGate";
  bool final_ = false;
  std::shared_ptr<spdlog::logger> slow_log_;
};

class worker {
 public:
  worker(unsigned index, unsigned worker_count, shared_state& shared);
  ~worker();

  asio::io_context& context() noexcept { return context_; }
  unsigned index() const noexcept { return index_; }
  // The generation new statements run on (this thread only).
  const std::shared_ptr<generation>& current() const noexcept { return current_; }
  // Builds this worker's generation of `fleet` (keeping the pools of unchanged endpoints)
  // and makes it current; pools the new one dropped are drained. This thread only.
  void install(const fleet_snapshot& fleet);
  std::string server_version() const { return shared_.server_version(); }
  shared_state& shared() noexcept { return shared_; }
  metrics::worker_metrics& metrics() noexcept { return metrics_; }
  // Null when logging.query_stats_size is 0.
  metrics::query_stats* query_stats() noexcept { return query_stats_.get(); }
  // Scratch for statement fingerprints (this thread's sessions, one at a time).
  std::string& fingerprint_scratch() noexcept { return fingerprint_; }

  std::uint64_t next_session_token() {
    return shared_.next_session_token.fetch_add(1, std::memory_order_relaxed);
  }
  bool admit_client();
  void release_client();
  std::uint32_t session_count() const noexcept {
    return static_cast<std::uint32_t>(sessions_.size());
  }

  // Runs on this worker's thread (post to it).
  void start_session(tcp::socket socket);
  void begin_drain();
  void stop();

  void start_thread();
  void join();

 private:
  friend awaitable<void> run_session(worker* w, std::unique_ptr<client_session> session);

  unsigned index_;
  unsigned worker_count_;
  shared_state& shared_;
  std::list<client_session*> sessions_;
  bool draining_ = false;
  // Declared before the generations, so their pools are destroyed while it still exists.
  asio::io_context context_;
  metrics::worker_metrics metrics_;
  std::unique_ptr<metrics::query_stats> query_stats_;
  std::string fingerprint_;
  std::shared_ptr<pool_graveyard> graveyard_ = std::make_shared<pool_graveyard>();
  std::shared_ptr<generation> current_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace shardgate::server
