#include "backend/cluster_health.hpp"

#include <cctype>

namespace shardgate::backend {

cluster_health::cluster_health(const config::cluster_config& cfg)
    : count_(1 + cfg.readers.size()),
      endpoints_(std::make_unique<endpoint_health[]>(1 + cfg.readers.size())),
      max_lag_ms_(cfg.max_replica_lag_ms) {
  weights_.push_back(1);
  for (const auto& r : cfg.readers) weights_.push_back(r.weight);
  // Until the first check: the configured writer is the writer.
  endpoints_[0].writable.store(true, std::memory_order_relaxed);
}

bool cluster_health::serves_reads(int index) const noexcept {
  if (index == writer()) return false;
  const endpoint_health& e = at(index);
  if (!e.reachable.load(std::memory_order_relaxed)) return false;
  return max_lag_ms_ == 0 || e.lag_ok.load(std::memory_order_relaxed);
}

fleet_health::fleet_health(const config::config& cfg) {
  for (const auto& c : cfg.clusters) clusters.push_back(std::make_unique<cluster_health>(c));
}

fleet_health::fleet_health(const config::config& cfg, const config::config& old_cfg,
                           const fleet_health& old)
    : fleet_health(cfg) {
  for (std::size_t c = 0; c < cfg.clusters.size(); ++c) {
    const int oc = old_cfg.cluster_index(cfg.clusters[c].name);
    if (oc < 0) continue;
    const auto now = cfg.clusters[c].endpoints();
    const auto before = old_cfg.clusters[static_cast<std::size_t>(oc)].endpoints();
    cluster_health& h = *clusters[c];
    const cluster_health& o = *old.clusters[static_cast<std::size_t>(oc)];
    h.carry_writer_changes(o.writer_changes());
    for (std::size_t e = 0; e < now.size(); ++e)
      for (std::size_t b = 0; b < before.size(); ++b) {
        if (!(now[e] == before[b])) continue;
        endpoint_health& to = h.at(static_cast<int>(e));
        const endpoint_health& from = o.at(static_cast<int>(b));
        to.reachable.store(from.reachable.load(std::memory_order_relaxed));
        to.writable.store(from.writable.load(std::memory_order_relaxed));
        to.lag_ms.store(from.lag_ms.load(std::memory_order_relaxed));
        to.lag_ok.store(from.lag_ok.load(std::memory_order_relaxed));
        to.failures_in_a_row.store(from.failures_in_a_row.load(std::memory_order_relaxed));
        to.checks.store(from.checks.load(std::memory_order_relaxed));
        to.failed_checks.store(from.failed_checks.load(std::memory_order_relaxed));
        if (static_cast<int>(b) == o.writer()) h.seed_writer(static_cast<int>(e));
      }
  }
}

bool within_lag_limit(bool was_within, std::int64_t lag_ms, std::uint32_t max_ms) noexcept {
  if (lag_ms < 0) return false;
  return lag_ms <= static_cast<std::int64_t>(was_within ? max_ms : max_ms / 2);
}

int choose_writer(int current, std::span<const endpoint_observation> endpoints) noexcept {
  const auto n = static_cast<int>(endpoints.size());
  if (current >= 0 && current < n && endpoints[static_cast<std::size_t>(current)].reachable &&
      endpoints[static_cast<std::size_t>(current)].writable)
    return current;
  for (int i = 0; i < n; ++i)
    if (endpoints[static_cast<std::size_t>(i)].reachable &&
        endpoints[static_cast<std::size_t>(i)].writable)
      return i;
  return current;
}

int pick_reader(std::span<const reader_candidate> candidates, std::uint32_t rotation) noexcept {
  if (candidates.empty()) return -1;
  const std::size_t n = candidates.size();
  int best = -1;
  std::uint64_t best_load = 0, best_weight = 1;
  for (std::size_t k = 0; k < n; ++k) {
    const reader_candidate& c = candidates[(rotation + k) % n];
    if (c.weight == 0) continue;
    const std::uint64_t load = c.outstanding + 1;
    // load / weight < best_load / best_weight, without division.
    if (best < 0 || load * best_weight < best_load * c.weight) {
      best = c.endpoint;
      best_load = load;
      best_weight = c.weight;
    }
  }
  return best;
}

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Whether `host` is the instance `server_id`: equal, or server_id followed by a dot.
bool names_instance(std::string_view host, std::string_view server_id) {
  if (server_id.empty()) return false;
  if (iequals(host, server_id)) return true;
  return host.size() > server_id.size() && host[server_id.size()] == '.' &&
         iequals(host.substr(0, server_id.size()), server_id);
}
}  // namespace

int aurora_topology(std::span<const aurora_row> rows, std::span<const config::endpoint> endpoints,
                    std::vector<std::int64_t>& lag_ms) {
  lag_ms.assign(endpoints.size(), -1);
  int writer = -1;
  for (const aurora_row& row : rows) {
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      if (!names_instance(endpoints[i].host, row.server_id)) continue;
      if (row.session_id == "MASTER_SESSION_ID") {
        writer = static_cast<int>(i);
        lag_ms[i] = 0;
      } else if (row.lag_ms >= 0) {
        lag_ms[i] = static_cast<std::int64_t>(row.lag_ms);
      }
    }
  }
  return writer;
}

}  // namespace shardgate::backend
