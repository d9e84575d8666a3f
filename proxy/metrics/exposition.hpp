// The Prometheus exposition of ShardGate's metrics: the admin endpoint gathers a `scrape`
// (every worker's counters summed on its own thread, plus the shared state) and renders
// it with prometheus-cpp's text serializer. Labels are bounded by the configuration
// (clusters, endpoints, users), statement kinds, route kinds and MySQL error codes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backend/connection_pool.hpp"
#include "metrics/worker_metrics.hpp"

namespace shardgate::metrics {

// Every worker's worker_metrics, summed (built on each worker's thread in turn).
struct totals {
  std::array<std::array<std::uint64_t, route_kinds>, statement_kinds> statements{};
  std::array<histogram, route_kinds> fan_out_latency;
  std::array<std::uint64_t, fan_out_bounds.size() + 1> fan_out_shards{};
  std::uint64_t fan_out_count = 0;
  std::uint64_t fan_out_sum = 0;
  std::map<std::uint16_t, std::uint64_t> errors;
  std::uint64_t bytes_in = 0;  // net::traffic of each worker thread (not in worker_metrics)
  std::uint64_t bytes_out = 0;
  std::uint64_t connections = 0;
  std::uint64_t statements_killed = 0;
  std::uint64_t slow_statements = 0;
  std::map<std::string, cluster_metrics> clusters;
  std::uint64_t sessions = 0;

  void add(const worker_metrics& w);
};

struct endpoint_sample {
  std::string cluster;
  std::string endpoint;  // host:port
  bool writer = false;   // the cluster's writer now
  // Pools (summed over workers).
  std::uint32_t open = 0, idle = 0, waiting = 0, max = 0;
  std::uint64_t connects = 0, connect_failures = 0, acquire_timeouts = 0;
  // The worst breaker state over the workers (0 closed, 1 half-open, 2 open).
  int breaker = 0;
  std::uint64_t breaker_trips = 0, breaker_rejections = 0;
  // Health checks (clusters with readers only).
  bool checked = false;
  bool reachable = true;
  std::int64_t lag_ms = -1;
  std::uint64_t checks = 0, failed_checks = 0;
};

struct limit_sample {
  std::string user;
  std::string limit;  // limits::limit_kind_name
  std::uint64_t delayed = 0, rejected = 0;
};

struct scrape {
  totals workers;
  std::vector<endpoint_sample> endpoints;
  std::map<std::string, std::uint64_t> writer_changes;  // by cluster
  std::uint32_t client_connections = 0;
  std::uint32_t max_client_connections = 0;
  std::vector<limit_sample> limits;
  std::uint64_t failed_logins = 0, delayed_logins = 0, blocked_logins = 0, blocked_addresses = 0;
  std::uint64_t reloads_ok = 0, reloads_failed = 0;
  std::uint64_t generation = 0;
  std::string config_checksum;
  double config_loaded_at = 0;  // unix seconds
  std::uint64_t cross_shard_commit_failures = 0;
  // Directory lookups by lookup name: hits, misses (summed over the workers).
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> directory;
  double start_time = 0;  // unix seconds
};

std::string render(const scrape& s);

}  // namespace shardgate::metrics
