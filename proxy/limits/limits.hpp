// Client limits from the configuration (users[].rate_limit, client_ip_rate_limit,
// max_connections, connection_rate_limit; listen.failed_logins), shared by every worker.
// Sessions look their user's limits up once at login and keep the pointers: a reload
// changes the buckets' parameters in place, so running sessions get the new limits at
// their next statement. Statements touch only their own buckets (lock-free); the maps
// below are locked on login and reload only.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "limits/token_bucket.hpp"

namespace shardgate::limits {

enum class limit_kind : std::uint8_t {
  user_rate,        // users[].rate_limit
  client_ip_rate,   // users[].client_ip_rate_limit
  connections,      // users[].max_connections
  connection_rate,  // users[].connection_rate_limit
};
inline constexpr std::size_t limit_kinds = 4;
const char* limit_kind_name(limit_kind k) noexcept;  // the config key

struct limit_counters {
  std::atomic<std::uint64_t> delayed{0};   // statements that waited for a token
  std::atomic<std::uint64_t> rejected{0};  // statements / logins refused
};

// What every session of one user shares. Stable for the process lifetime (a user removed
// by a reload keeps its object: its sessions go on until they end).
struct user_limits {
  std::string name;
  token_bucket queries;
  std::atomic<std::uint32_t> max_wait_ms{0};
  std::atomic<double> ip_per_second{0};
  std::atomic<std::uint32_t> ip_burst{0};
  std::atomic<std::uint32_t> ip_max_wait_ms{0};
  token_bucket logins;
  std::atomic<std::uint32_t> max_connections{0};  // 0: unlimited
  std::atomic<std::uint32_t> connected{0};
  std::array<limit_counters, limit_kinds> counters;
  limit_counters& counter(limit_kind k) noexcept { return counters[static_cast<std::size_t>(k)]; }
};

// One (user, client IP) bucket, held by that user's sessions from that address.
struct client_ip_limits {
  token_bucket queries;
  user_limits* user = nullptr;
};

// A statement's verdict: go now, wait `wait` first, or refuse (error 1226).
struct admission {
  enum class verdict : std::uint8_t { go, wait, refuse } what = verdict::go;
  std::chrono::nanoseconds wait{0};
  limit_kind limit = limit_kind::user_rate;
};

class registry {
 public:
  explicit registry(const config::config& cfg);
  // A reload: users' limits change in place; new users are added.
  void update(const config::config& cfg);

  // The user's limits (null for a name the config does not know).
  user_limits* user(std::string_view name);
  // The (user, ip) bucket when the user has client_ip_rate_limit, else null.
  std::shared_ptr<client_ip_limits> client_ip(user_limits& user, const std::string& ip);

  // A statement of `user` (and its client IP bucket, may be null): one token from each.
  static admission admit_statement(user_limits& user, client_ip_limits* ip) noexcept;
  // A login of `user` that passed authentication: max_connections, then
  // connection_rate_limit. On go the connection is counted until release_connection.
  static admission admit_connection(user_limits& user) noexcept;
  static void release_connection(user_limits& user) noexcept {
    user.connected.fetch_sub(1, std::memory_order_relaxed);
  }

  // Failed-login throttling per client IP (listen.failed_logins). Seconds the address is
  // still blocked for (0: it may log in).
  std::uint32_t blocked_for(const std::string& ip);
  // A failed login from `ip`; true when this failure blocks the address.
  bool login_failed(const std::string& ip);
  void login_succeeded(const std::string& ip);
  std::uint64_t failed_logins() const noexcept {
    return failed_logins_.load(std::memory_order_relaxed);
  }
  std::uint64_t blocked_logins() const noexcept {
    return blocked_logins_.load(std::memory_order_relaxed);
  }
  std::size_t blocked_addresses();

  // For /metrics: every user's limits (stable pointers).
  std::vector<user_limits*> users();

 private:
  void apply(user_limits& u, const config::user_config& c);

  struct ip_failures {
    std::uint32_t failures = 0;
    std::chrono::steady_clock::time_point window_start{};
    std::chrono::steady_clock::time_point blocked_until{};
  };

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<user_limits>, std::less<>> users_;
  std::unordered_map<std::string, std::weak_ptr<client_ip_limits>> ip_buckets_;
  std::size_t ip_sweep_at_ = 1024;
  std::mutex failures_mutex_;
  config::failed_login_config failure_rule_;
  std::unordered_map<std::string, ip_failures> failures_;
  std::size_t failures_sweep_at_ = 65536;
  static constexpr std::size_t max_tracked_addresses = 1u << 20;
  std::atomic<std::size_t> tracked_failures_{0};  // failures_.size(): skip the lock when 0
  std::atomic<std::uint64_t> failed_logins_{0};
  std::atomic<std::uint64_t> blocked_logins_{0};
};

}  // namespace shardgate::limits
