// One configuration as one worker runs it: the config snapshot and everything built from
// it - the router, the backend pools by cluster and endpoint, the clusters' health. A
// reload builds a new generation on every worker (keeping the pools of endpoints whose
// settings did not change) and makes it current, draining the pools it did not keep; a
// session moves to the current one between statements when it holds no backend
// connection, so a running statement or an open transaction finishes on the generation it
// started on. When the last user of an old generation lets go, its pools that no newer
// generation kept go to the worker's graveyard until they are quiescent.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/cluster_health.hpp"
#include "backend/connection_pool.hpp"
#include "backend/health_checker.hpp"
#include "config/config.hpp"
#include "metrics/worker_metrics.hpp"
#include "net/tls_context.hpp"
#include "protocol/caching_sha2.hpp"
#include "routing/placement.hpp"
#include "routing/router.hpp"

namespace shardgate::server {

// What every worker's generation of one reload shares.
struct fleet_snapshot {
  std::uint64_t number = 0;  // 1 for the configuration loaded at start, +1 per reload
  std::shared_ptr<const config::config> config;
  std::shared_ptr<const routing::topology> topology;
  std::shared_ptr<backend::fleet_health> health;
  std::shared_ptr<backend::health_checker> checker;  // null when no cluster has readers
  std::shared_ptr<const net::tls_set> tls;           // listener's and clusters' contexts
  // caching_sha2_password's RSA pair for full authentication over plain TCP.
  std::shared_ptr<const protocol::rsa_key> rsa;
};

using pool_ptr = std::shared_ptr<backend::connection_pool>;

// Where a worker's pools go when the last generation using them ends: a pool is destroyed
// only once it is quiescent (its background maintenance, which refers to it, has seen the
// stop). Worker thread only.
struct pool_graveyard {
  std::vector<pool_ptr> pools;
  bool open = true;  // false while the worker is destroyed: pools go at once
  void bury(pool_ptr p) {
    std::erase_if(pools, [](const pool_ptr& q) { return q->quiescent(); });
    if (open && !p->quiescent()) pools.push_back(std::move(p));
  }
  void sweep() {
    std::erase_if(pools, [](const pool_ptr& q) { return q->quiescent(); });
  }
};

class generation {
 public:
  // `previous` (may be null): pools of unchanged endpoints are taken from it. Runs on the
  // worker's thread. `metrics` is the worker's (per-cluster counters by name).
  generation(const fleet_snapshot& fleet, const generation* previous, unsigned worker_index,
             unsigned worker_count, asio::any_io_executor executor,
             std::function<void(const std::string&)> on_login, metrics::worker_metrics& metrics,
             std::shared_ptr<pool_graveyard> graveyard);
  ~generation();
  generation(const generation&) = delete;
  generation& operator=(const generation&) = delete;

  std::uint64_t number() const noexcept { return number_; }
  const std::shared_ptr<const config::config>& config() const noexcept { return config_; }
  const std::shared_ptr<const routing::topology>& topology() const noexcept { return topology_; }
  // The listener's TLS context (null: listen.tls not set) and the login RSA key.
  const net::tls_context_ptr& listener_tls() const noexcept { return tls_->listener; }
  const std::shared_ptr<const protocol::rsa_key>& rsa_key() const noexcept { return rsa_; }

  // The pool for the writer of cluster `index` (an index into config::clusters): the
  // endpoint the health checker last found writable.
  backend::connection_pool& pool(int index) noexcept {
    auto& endpoints = pools_[static_cast<std::size_t>(index)];
    if (endpoints.size() == 1) return *endpoints.front();
    return *endpoints[static_cast<std::size_t>((*health_)[index].writer())];
  }
  // The same, shared (for work that may outlive this generation, e.g. XA recovery).
  pool_ptr pool_shared(int index) const noexcept {
    auto& endpoints = pools_[static_cast<std::size_t>(index)];
    if (endpoints.size() == 1) return endpoints.front();
    return endpoints[static_cast<std::size_t>((*health_)[index].writer())];
  }
  // A reader's pool for an autocommit read on cluster `index`: among the endpoints that
  // serve reads now (reachable, not the writer, within max_replica_lag_ms, breaker not
  // open), the least loaded by weight. Null: none (the read goes to the writer).
  backend::connection_pool* reader_pool(int index) noexcept;
  bool has_readers(int index) const noexcept {
    return pools_[static_cast<std::size_t>(index)].size() > 1;
  }
  backend::cluster_health& health(int index) noexcept { return (*health_)[index]; }
  backend::health_checker* checker() const noexcept { return checker_.get(); }
  int default_cluster() const noexcept { return default_cluster_; }
  // The router: used synchronously by one session at a time (one thread).
  routing::router& router() noexcept { return router_; }
  metrics::cluster_metrics& cluster_metrics(int index) noexcept {
    return *cluster_metrics_[static_cast<std::size_t>(index)];
  }

  // By cluster index, then endpoint index (0: the configured writer, 1..: readers).
  const std::vector<std::vector<pool_ptr>>& pools() const noexcept { return pools_; }
  // Starts the pools this generation created (not those it took over).
  void start_new_pools();
  // Drains (stops) the pools of `older` that this generation did not take over: idle
  // connections close now, borrowed ones when they come back.
  void drain_dropped(const generation& older) const;

 private:
  std::uint64_t number_;
  std::shared_ptr<const config::config> config_;
  std::shared_ptr<const routing::topology> topology_;
  std::shared_ptr<backend::fleet_health> health_;
  std::shared_ptr<backend::health_checker> checker_;
  std::shared_ptr<const net::tls_set> tls_;
  std::shared_ptr<const protocol::rsa_key> rsa_;
  std::vector<std::vector<pool_ptr>> pools_;
  std::vector<pool_ptr> created_;
  std::shared_ptr<pool_graveyard> graveyard_;
  std::vector<metrics::cluster_metrics*> cluster_metrics_;
  std::vector<backend::reader_candidate> candidates_;  // reader_pool's scratch
  std::uint32_t reader_rotation_ = 0;
  int default_cluster_ = 0;
  routing::router router_;
};

}  // namespace shardgate::server
