// Statement statistics by fingerprint (sql/fingerprint.hpp), for /stats/queries and the
// slow query log. One query_stats per worker thread: no locks, so every call - record,
// snapshot, reset - runs on the worker's own thread (the admin thread posts to it), and
// merge_top() combines the workers' snapshots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shardgate::metrics {

// What one worker (or, merged, all of them) saw of one fingerprint.
struct query_stat {
  std::uint64_t hash = 0;   // sql::fingerprint's hash
  std::string fingerprint;  // its text
  std::string last_route;   // e.g. "single shard0", "scatter 4"
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
  std::uint64_t total_us = 0;
  std::uint64_t max_us = 0;
  std::uint64_t min_us = 0;
};

enum class sort_key : std::uint8_t { total_time, calls, max_time };

// Route texts longer than this are cut (they are meant to be short).
inline constexpr std::size_t max_route_size = 64;

class query_stats {
 public:
  // At most `capacity` fingerprints (at least 1); a new one beyond that replaces the one
  // with the least total time.
  explicit query_stats(std::size_t capacity = 1000);

  // One execution. The texts are copied only when the fingerprint is new (the route is
  // assigned into the entry's own buffer, which allocates only when a route text grows
  // past its capacity).
  void record(std::uint64_t hash, std::string_view fingerprint_text, std::string_view route,
              std::uint64_t duration_us, bool error);

  std::vector<query_stat> snapshot() const;
  void reset();

  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::uint64_t evictions() const noexcept { return evictions_; }

 private:
  std::size_t evict_index() const noexcept;

  std::size_t capacity_;
  std::vector<query_stat> entries_;
  // entries_[i].total_us, kept apart so that finding the smallest scans one dense array.
  std::vector<std::uint64_t> totals_;
  std::unordered_map<std::uint64_t, std::size_t> index_;  // hash -> position in entries_
  std::uint64_t evictions_ = 0;
};

// The workers' snapshots merged by hash (calls, errors and times summed, max of maxima, min
// of minima; the text of the first seen and the route of the worker with the most calls),
// the top `n` by `key`, largest first (ties by hash).
std::vector<query_stat> merge_top(std::vector<std::vector<query_stat>> per_worker, std::size_t n,
                                  sort_key key);

// [{"fingerprint": "...", "calls": 3, "errors": 0, "total_ms": 1.234, "avg_ms": 0.411,
//   "max_ms": 0.900, "last_route": "..."}, ...] - always valid JSON: control characters
// escaped, bytes that are not valid UTF-8 written as \u00XX (the byte's value).
std::string to_json(const std::vector<query_stat>& stats);

// `text` as the inside of a JSON string, appended to `out` (the rules of to_json).
void append_json_string(std::string& out, std::string_view text);

}  // namespace shardgate::metrics
