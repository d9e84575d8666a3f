// Health checks of every endpoint, on their own thread and timers (never on a worker):
// each endpoint has one dedicated backend connection that, every health.interval_ms,
// answers the writer check (read_only / aurora_replica_status) and, on replicas, the lag
// check (replication status or a heartbeat row). The results go to fleet_health, which
// the workers read per statement; the writer of a cluster changes there when the checks
// say so (failover, switchover), and a write refused as read-only (1290 / 1836) makes
// its cluster be checked again at once.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "backend/backend_connection.hpp"
#include "backend/cluster_health.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"
#include "net/tls_context.hpp"

namespace shardgate::backend {

class health_checker {
 public:
  // Shares `fleet`: a checker kept running for sessions of an earlier configuration keeps
  // the health it writes. `tls`: the clusters' TLS contexts (probes log in as pools do).
  health_checker(std::shared_ptr<const config::config> cfg, std::shared_ptr<fleet_health> fleet,
                 std::shared_ptr<const net::tls_set> tls);
  ~health_checker();
  health_checker(const health_checker&) = delete;
  health_checker& operator=(const health_checker&) = delete;

  // Starts the thread and the checks; waits (at most `first_round`) until every endpoint
  // was checked once, so the process starts knowing each cluster's writer.
  void start(std::chrono::milliseconds first_round);
  void stop();

  // A write on `endpoint` of `cluster` was refused as read-only: it is not the writer;
  // check the cluster again now. Any thread.
  void report_read_only(int cluster, int endpoint);

  // Checks run so far (every endpoint), for the benchmark of the checks' own cost.
  std::uint64_t checks() const noexcept { return checks_.load(std::memory_order_relaxed); }

 private:
  struct probe;
  awaitable<void> probe_loop(probe& p);
  awaitable<void> check(probe& p);
  awaitable<void> check_once(probe& p, bool& reachable, bool& writable, std::int64_t& lag,
                             std::string& problem);
  void decide_writer(int cluster);
  void wake_cluster(int cluster);

  std::shared_ptr<const config::config> config_;
  std::shared_ptr<fleet_health> fleet_holder_;
  fleet_health& fleet_;
  asio::io_context context_;
  std::vector<std::unique_ptr<probe>> probes_;
  std::vector<bool> split_brain_logged_;  // by cluster (checker thread only)
  std::atomic<std::uint32_t> first_round_left_{0};
  std::atomic<std::uint64_t> checks_{0};
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

}  // namespace shardgate::backend
