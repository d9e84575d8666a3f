// Counters one worker thread keeps while it serves statements: plain integers, written
// only by that thread and read only on it (the admin endpoint runs a copy-out on each
// worker's own io_context), so counting costs an increment and no atomic operation.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sql/classify.hpp"

namespace shardgate::metrics {

// How a statement was routed (the `route` label).
enum class route_kind : std::uint8_t {
  single,     // one shard
  multi,      // several shards picked by the key (IN lists, ranges, multi-row INSERT)
  scatter,    // every shard of the table (no usable key)
  broadcast,  // every copy of a broadcast table (writes)
  local,      // answered by ShardGate itself (SET of its own settings, errors before routing)
};
inline constexpr std::size_t route_kinds = 5;
const char* route_kind_name(route_kind k) noexcept;

inline constexpr std::size_t statement_kinds =
    static_cast<std::size_t>(sql::statement_kind::other) + 1;

// Latency buckets (upper bounds, microseconds); one more for +Inf.
inline constexpr std::array<std::uint32_t, 14> latency_bounds_us = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};

struct histogram {
  std::array<std::uint64_t, latency_bounds_us.size() + 1> buckets{};  // not cumulative
  std::uint64_t count = 0;
  std::uint64_t sum_us = 0;
  void observe(std::uint64_t us) noexcept {
    std::size_t i = 0;
    while (i < latency_bounds_us.size() && us > latency_bounds_us[i]) ++i;
    ++buckets[i];
    ++count;
    sum_us += us;
  }
  void add(const histogram& o) noexcept {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
    count += o.count;
    sum_us += o.sum_us;
  }
};

// Per cluster (by name: the counters outlive reloads that reorder clusters).
struct cluster_metrics {
  std::array<histogram, route_kinds> latency;  // statements that ran on this cluster
  std::uint64_t fan_out_legs = 0;              // its share of multi-shard statements
  std::uint64_t reads_on_readers = 0;          // autocommit reads a reader answered
  std::uint64_t writer_retries = 0;            // writes run again on a new writer
  void add(const cluster_metrics& o) noexcept {
    for (std::size_t r = 0; r < route_kinds; ++r) latency[r].add(o.latency[r]);
    fan_out_legs += o.fan_out_legs;
    reads_on_readers += o.reads_on_readers;
    writer_retries += o.writer_retries;
  }
};

inline constexpr std::array<std::uint32_t, 7> fan_out_bounds = {2, 3, 4, 8, 16, 32, 64};

struct worker_metrics {
  // Statements by kind and route.
  std::array<std::array<std::uint64_t, route_kinds>, statement_kinds> statements{};
  // The latency of statements without a single cluster: multi-shard ones, and those
  // ShardGate answered itself (route local).
  std::array<histogram, route_kinds> fan_out_latency;
  std::array<std::uint64_t, fan_out_bounds.size() + 1> fan_out_shards{};  // histogram buckets
  std::uint64_t fan_out_count = 0;
  std::uint64_t fan_out_sum = 0;
  // Error replies by MySQL error code (by index, up to 8191; others in slot 0).
  static constexpr std::size_t error_slots = 8192;
  std::array<std::uint64_t, error_slots> errors{};
  std::uint64_t connections = 0;        // accepted client connections
  std::uint64_t statements_killed = 0;  // KILL QUERY for max_execution_ms / read_timeout_ms
  std::uint64_t slow_statements = 0;    // over logging.slow_query_ms
  std::map<std::string, std::unique_ptr<cluster_metrics>, std::less<>> clusters;

  cluster_metrics& cluster(const std::string& name) {
    auto& slot = clusters[name];
    if (!slot) slot = std::make_unique<cluster_metrics>();
    return *slot;
  }
  void error(std::uint16_t code) noexcept { ++errors[code < error_slots ? code : 0]; }
  void fan_out(std::size_t shards) noexcept {
    std::size_t i = 0;
    while (i < fan_out_bounds.size() && shards > fan_out_bounds[i]) ++i;
    ++fan_out_shards[i];
    ++fan_out_count;
    fan_out_sum += shards;
  }
};

}  // namespace shardgate::metrics
