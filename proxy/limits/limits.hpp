// Client limits from the configuration (users[].rate_limit, client_ip_rate_limit,
// max_connections, connection_rate_limit; listen.failed_logins, listen.connect_errors),
// shared by every worker.
// Sessions look their user's limits up once at login and keep the pointers: a reload
// changes the buckets' parameters in place, so running sessions get the new limits at
// their next statement. Statements touch only their own buckets (lock-free); the maps
// below are locked on login and reload only (the login-throttling tables are not even
// locked while they are empty).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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

// A client's address as text (client_session's peer_), the key of per-address state.
using address = std::string;

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

  // Failed-login throttling per (user, client address) (listen.failed_logins): how long
  // this login attempt of `user` from `ip` waits before it is answered - 0 below the
  // threshold, else min_delay_ms * 2^(failures - threshold) up to max_delay_ms, so the
  // first delayed attempt waits min_delay_ms. Call it once per attempt (it counts the
  // delayed ones), before the password is checked: a right password waits too.
  std::chrono::milliseconds login_delay(std::string_view user, const address& ip);
  // A wrong user or password from `ip` (user as the client sent it).
  void login_failed(std::string_view user, const address& ip);
  // A login that passed authentication: forgets the pair's failures and the address's
  // connect errors.
  void login_succeeded(std::string_view user, const address& ip);

  // Connect errors per client address (listen.connect_errors): a connection that broke
  // off or sent what is not a login (malformed handshake, failed TLS handshake, login
  // timeout). True when this error blocks the address (for block_s).
  bool connect_error(const address& ip);
  // How long the address is still blocked (0: not blocked). Call it once per accepted
  // connection: a blocked one is counted (blocked_logins).
  std::chrono::seconds blocked_for(const address& ip);

  // Metrics: logins that failed, login attempts delayed, connections refused because the
  // address was blocked, and the addresses blocked now.
  std::uint64_t failed_logins() const noexcept {
    return failed_logins_.load(std::memory_order_relaxed);
  }
  std::uint64_t delayed_logins() const noexcept {
    return delayed_logins_.load(std::memory_order_relaxed);
  }
  std::uint64_t blocked_logins() const noexcept {
    return blocked_logins_.load(std::memory_order_relaxed);
  }
  std::size_t blocked_addresses();

  // Tests: the time the login-throttling tables see (default: steady_clock::now).
  using time_point = std::chrono::steady_clock::time_point;
  void set_clock(std::function<time_point()> now);
  // Entries each login-throttling table holds at most (the oldest go first when full).
  static constexpr std::size_t default_max_tracked = 1u << 20;
  void set_max_tracked(std::size_t n);  // tests
  std::size_t tracked_pairs() const noexcept {
    return tracked_pairs_.load(std::memory_order_relaxed);
  }
  std::size_t tracked_addresses() const noexcept {
    return tracked_addresses_.load(std::memory_order_relaxed);
  }

  // For /metrics: every user's limits (stable pointers).
  std::vector<user_limits*> users();

 private:
  void apply(user_limits& u, const config::user_config& c);

  // One (user, address) pair's failed logins: forgotten window_s after the last one.
  struct pair_failures {
    std::uint32_t failures = 0;
    time_point last{};
  };
  // One address's connect errors: counted within window_s of the first; blocked_until is
  // set when max_errors is reached.
  struct address_errors {
    std::uint32_t errors = 0;
    time_point window_start{};
    time_point blocked_until{};
  };

  time_point now() const { return now_ ? now_() : std::chrono::steady_clock::now(); }
  static std::string pair_key(std::string_view user, const address& ip);
  void make_room_for_pair(time_point now);
  void make_room_for_address(time_point now);

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<user_limits>, std::less<>> users_;
  std::unordered_map<std::string, std::weak_ptr<client_ip_limits>> ip_buckets_;
  std::size_t ip_sweep_at_ = 1024;

  // The login-throttling state: locked on logins (and connect errors) only, and not at all
  // while the table a call reads is empty (the tracked_* counts).
  std::mutex throttle_mutex_;
  config::failed_login_config login_rule_;
  config::connect_errors_config error_rule_;
  std::function<time_point()> now_;
  std::unordered_map<std::string, pair_failures> pairs_;  // key: pair_key()
  std::unordered_map<std::string, address_errors> addresses_;
  std::size_t max_tracked_ = default_max_tracked;
  std::size_t pairs_sweep_at_ = 65536;  // sizes at which expired entries are swept
  std::size_t addresses_sweep_at_ = 65536;
  std::atomic<std::size_t> tracked_pairs_{0};
  std::atomic<std::size_t> tracked_addresses_{0};
  std::atomic<std::uint64_t> failed_logins_{0};
  std::atomic<std::uint64_t> delayed_logins_{0};
  std::atomic<std::uint64_t> blocked_logins_{0};
};

}  // namespace shardgate::limits
