#include "server/generation.hpp"

namespace shardgate::server {

namespace {

std::uint32_t share_of(std::uint32_t total, unsigned index, unsigned count) {
  std::uint32_t share = total / count + (index < total % count ? 1 : 0);
  return share == 0 ? 1 : share;
}

backend::pool_limits limits_for(const config::cluster_config& c, unsigned index, unsigned count) {
  backend::pool_limits limits;
  limits.max_connections = share_of(c.pool.max_connections, index, count);
  limits.min_idle = c.pool.min_idle / count + (index < c.pool.min_idle % count ? 1 : 0);
  limits.acquire_timeout = std::chrono::milliseconds(c.pool.acquire_timeout_ms);
  limits.idle_timeout = std::chrono::seconds(c.pool.idle_timeout_s);
  limits.breaker_enabled = c.circuit_breaker.enabled;
  limits.breaker.window = c.circuit_breaker.window;
  limits.breaker.failure_rate = c.circuit_breaker.failure_rate;
  limits.breaker.open_for = std::chrono::seconds(c.circuit_breaker.open_s);
  limits.breaker.half_open_probes = c.circuit_breaker.half_open_probes;
  return limits;
}

}  // namespace

generation::generation(const fleet_snapshot& fleet, const generation* previous,
                       unsigned worker_index, unsigned worker_count, asio::any_io_executor executor,
                       std::function<void(const std::string&)> on_login,
                       metrics::worker_metrics& metrics, std::shared_ptr<pool_graveyard> graveyard)
    : number_(fleet.number),
      config_(fleet.config),
      topology_(fleet.topology),
      health_(fleet.health),
      checker_(fleet.checker),
      tls_(fleet.tls),
      rsa_(fleet.rsa),
      graveyard_(std::move(graveyard)),
      router_(fleet.topology) {
  for (std::size_t ci = 0; ci < config_->clusters.size(); ++ci) {
    const config::cluster_config& c = config_->clusters[ci];
    const backend::pool_limits limits = limits_for(c, worker_index, worker_count);
    auto& endpoints = pools_.emplace_back();
    const auto addresses = c.endpoints();
    for (std::size_t e = 0; e < addresses.size(); ++e) {
      backend::backend_target target{c.name,
                                     addresses[e],
                                     c.user,
                                     c.password,
                                     c.connect_timeout_ms,
                                     static_cast<int>(ci),
                                     static_cast<int>(e),
                                     c.tls,
                                     tls_->clusters[ci]};
      pool_ptr kept;
      if (previous)
        for (const auto& cluster : previous->pools_)
          for (const auto& p : cluster)
            if (!kept && p->same_settings(target, limits)) kept = p;
      if (kept) {
        // Renewed certificate files take effect for its next connections.
        kept->refresh_tls(target.tls_context);
      } else {
        kept = std::make_shared<backend::connection_pool>(executor, target, limits, on_login);
        created_.push_back(kept);
      }
      endpoints.push_back(std::move(kept));
    }
    cluster_metrics_.push_back(&metrics.cluster(c.name));
  }
  default_cluster_ = config_->cluster_index(config_->default_cluster);
}

generation::~generation() {
  for (auto& cluster : pools_)
    for (auto& p : cluster)
      if (p.use_count() == 1) graveyard_->bury(std::move(p));
}

void generation::start_new_pools() {
  for (auto& p : created_) p->start();
  created_.clear();
}

void generation::drain_dropped(const generation& older) const {
  for (const auto& cluster : older.pools_)
    for (const auto& p : cluster) {
      bool kept = false;
      for (const auto& mine : pools_)
        for (const auto& q : mine) kept = kept || q == p;
      if (!kept) p->stop();
    }
}

backend::connection_pool* generation::reader_pool(int index) noexcept {
  auto& endpoints = pools_[static_cast<std::size_t>(index)];
  if (endpoints.size() == 1) return nullptr;
  const backend::cluster_health& h = (*health_)[index];
  candidates_.clear();
  for (std::size_t e = 0; e < endpoints.size(); ++e) {
    const int i = static_cast<int>(e);
    if (!h.serves_reads(i) || endpoints[e]->failing_fast()) continue;
    candidates_.push_back({i, endpoints[e]->outstanding(), h.weight(i)});
  }
  const int pick = backend::pick_reader(candidates_, reader_rotation_++);
  return pick < 0 ? nullptr : endpoints[static_cast<std::size_t>(pick)].get();
}

}  // namespace shardgate::server
