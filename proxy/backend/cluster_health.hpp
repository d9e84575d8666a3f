// What the health checker last learned about every endpoint of every cluster: which one
// is the writer, which are reachable, how far each replica lags. Written by the health
// checker's thread, read by every worker per statement without locks (relaxed atomics: a
// statement acts on a value at most one check old). Also the pure decisions made from it:
// which endpoint is the writer, which reader serves a read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace shardgate::backend {

struct endpoint_health {
  std::atomic<bool> reachable{true};     // optimistic until the first check says otherwise
  std::atomic<bool> writable{false};     // the last check found it writable
  std::atomic<std::int64_t> lag_ms{-1};  // replicas: -1 unknown (not replicating, stopped)
  // Within max_replica_lag_ms (see within_lag_limit); false until measured.
  std::atomic<bool> lag_ok{false};
  std::atomic<std::uint32_t> failures_in_a_row{0};  // checks that failed since the last success
  std::atomic<std::uint64_t> checks{0};
  std::atomic<std::uint64_t> failed_checks{0};
};

class cluster_health {
 public:
  // Endpoint 0 is the configured writer, 1.. the readers in config order.
  explicit cluster_health(const config::cluster_config& cfg);

  int writer() const noexcept { return writer_.load(std::memory_order_relaxed); }
  void set_writer(int index) noexcept {
    writer_.store(index, std::memory_order_relaxed);
    writer_changes_.fetch_add(1, std::memory_order_relaxed);
  }
  // A reload's new health starts from the old one: the writer it knew (not a change) and
  // the count of changes so far.
  void seed_writer(int index) noexcept { writer_.store(index, std::memory_order_relaxed); }
  void carry_writer_changes(std::uint64_t n) noexcept {
    writer_changes_.store(n, std::memory_order_relaxed);
  }
  std::uint64_t writer_changes() const noexcept {
    return writer_changes_.load(std::memory_order_relaxed);
  }
  std::size_t size() const noexcept { return count_; }
  endpoint_health& at(int index) noexcept { return endpoints_[static_cast<std::size_t>(index)]; }
  const endpoint_health& at(int index) const noexcept {
    return endpoints_[static_cast<std::size_t>(index)];
  }
  // Whether endpoint `index` may serve reads as a replica now: reachable, not the writer,
  // and (with a lag limit) measured within it.
  bool serves_reads(int index) const noexcept;
  std::uint32_t weight(int index) const noexcept {
    return weights_[static_cast<std::size_t>(index)];
  }
  std::uint32_t max_lag_ms() const noexcept { return max_lag_ms_; }

 private:
  std::size_t count_;
  std::unique_ptr<endpoint_health[]> endpoints_;
  std::vector<std::uint32_t> weights_;
  std::uint32_t max_lag_ms_;
  std::atomic<int> writer_{0};
  std::atomic<std::uint64_t> writer_changes_{0};
};

// Every cluster's health, by cluster index (config::clusters order).
struct fleet_health {
  explicit fleet_health(const config::config& cfg);
  // After a reload: endpoints that were configured before (same cluster name and address)
  // keep what was learned about them, and each cluster its writer if it is still listed.
  fleet_health(const config::config& cfg, const config::config& old_cfg, const fleet_health& old);
  std::vector<std::unique_ptr<cluster_health>> clusters;
  cluster_health& operator[](int cluster) noexcept {
    return *clusters[static_cast<std::size_t>(cluster)];
  }
};

// ---- pure decisions ----------------------------------------------------------------

// Whether a replica's measured lag lets it serve reads, with hysteresis: one that was
// within the limit stays so up to `max_ms`; one that fell behind serves again only once it
// is back under half the limit (so a replica hovering at the limit does not flip every
// check). A negative lag (unknown, replication stopped) never is.
bool within_lag_limit(bool was_within, std::int64_t lag_ms, std::uint32_t max_ms) noexcept;

struct endpoint_observation {
  bool reachable = false;
  bool writable = false;
};
// The writer after a round of checks: the current one while it is reachable and writable
// (no flapping between two writable nodes during a switchover), else the first reachable
// writable endpoint in config order, else the current one (no writer is known: writes
// keep going where they went and fail there with the server's error).
int choose_writer(int current, std::span<const endpoint_observation> endpoints) noexcept;

// A candidate reader for one read: its borrowed connections on this worker and weight.
struct reader_candidate {
  int endpoint = 0;
  std::uint32_t outstanding = 0;
  std::uint32_t weight = 1;
};
// Least outstanding requests relative to weight ((outstanding + 1) / weight, compared
// without division); ties go round-robin from `rotation`. -1 when there is none.
int pick_reader(std::span<const reader_candidate> candidates, std::uint32_t rotation) noexcept;

// aurora_replica_status: rows of information_schema.replica_host_status (SERVER_ID,
// SESSION_ID, REPLICA_LAG_IN_MILLISECONDS). Aurora names instances by SERVER_ID and its
// instance endpoints are SERVER_ID.<cluster suffix>; the writer's row has SESSION_ID
// 'MASTER_SESSION_ID'. Returns the index (into `endpoints`) of the writer, or -1, and
// fills lag_ms per endpoint (-1 where no row names it).
struct aurora_row {
  std::string server_id;
  std::string session_id;
  double lag_ms = -1;
};
int aurora_topology(std::span<const aurora_row> rows, std::span<const config::endpoint> endpoints,
                    std::vector<std::int64_t>& lag_ms);

}  // namespace shardgate::backend
