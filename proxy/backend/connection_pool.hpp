// A bounded pool of backend connections to one endpoint, owned by one worker thread
// (so it needs no locks). Statements borrow a connection and give it back; when all are
// busy, callers wait up to acquire_timeout_ms in FIFO order. Idle connections are
// reused most-recent-first, a caller's previous connection is preferred (its session
// state is usually still in place), stale ones are detected before use, and idle ones
// above min_idle are closed after idle_timeout_s.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "backend/backend_connection.hpp"
#include "backend/circuit_breaker.hpp"
#include "net/asio.hpp"

namespace shardgate::backend {

struct pool_limits {
  std::uint32_t max_connections = 16;  // this worker's share of the endpoint's limit
  std::uint32_t min_idle = 0;
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::seconds idle_timeout{60};
  bool breaker_enabled = true;
  breaker_settings breaker;
};

// What a borrowed connection must satisfy.
struct connection_requirements {
  std::uint32_t flavour = 0;  // the client's login_fixed_caps
  bool no_schema = false;     // no current database (there is no way to unselect one)
  const backend_connection* preferred = nullptr;
};

struct pool_stats {
  std::uint32_t open = 0;
  std::uint32_t idle = 0;
  std::uint32_t waiting = 0;
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t acquire_timeouts = 0;
  breaker_state breaker = breaker_state::closed;
  std::uint64_t breaker_trips = 0;
  std::uint64_t breaker_rejections = 0;  // statements failed fast while it was open
};

class connection_pool {
 public:
  // `on_login` (may be empty) is told the server version after each successful login.
  connection_pool(asio::any_io_executor ex, backend_target target, pool_limits limits,
                  std::function<void(const std::string&)> on_login = {});
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  struct acquired {
    std::unique_ptr<backend_connection> conn;
    std::optional<protocol::mysql_error> error;
  };
  awaitable<acquired> acquire(connection_requirements req);

  // Gives a connection back. A broken one is closed and its slot freed. Its outcome feeds
  // the circuit breaker: a connection that failed on the backend's side is a failed call,
  // any other a successful one.
  void release(std::unique_ptr<backend_connection> conn);

  // Starts the idle sweep / min_idle top-up loop; stop() closes idle connections and
  // makes the loop end.
  void start();
  void stop();

  const backend_target& target() const noexcept { return target_; }
  const pool_limits& limits() const noexcept { return limits_; }
  // Stopped, and no background work of its own refers to it any more: it may be destroyed.
  bool quiescent() const noexcept { return stopped_ && !maintaining_; }
  // Same server, login and limits: a reload keeps this pool for that endpoint.
  bool same_settings(const backend_target& t, const pool_limits& l) const noexcept;
  // A reload's TLS context for the same settings (certificate files may have been renewed):
  // connections opened from now on use it.
  void refresh_tls(net::tls_context_ptr ctx) noexcept { target_.tls_context = std::move(ctx); }
  // Connections borrowed now (open but not idle): the load for least-outstanding choice.
  std::uint32_t outstanding() const noexcept {
    return open_ - static_cast<std::uint32_t>(idle_.size());
  }
  // The circuit breaker is open and not yet due for trial calls (reads look elsewhere).
  bool failing_fast() const noexcept {
    return limits_.breaker_enabled && breaker_.state() == breaker_state::open &&
           std::chrono::steady_clock::now() < breaker_.retry_at();
  }
  pool_stats stats() const noexcept;
  // Server version learned from the first successful login (empty until then).
  const std::string& server_version() const noexcept { return server_version_; }

 private:
  struct waiter {
    asio::steady_timer* timer;
    std::unique_ptr<backend_connection> conn;
    bool slot_free = false;
  };

  std::unique_ptr<backend_connection> take_idle(const connection_requirements& req);
  bool acceptable(const backend_connection& c, const connection_requirements& req) const;
  awaitable<acquired> open_new(const connection_requirements& req);
  void free_slot();
  void log_breaker_change(breaker_state before) const;
  awaitable<void> maintain();

  asio::any_io_executor executor_;
  backend_target target_;
  pool_limits limits_;
  std::vector<std::unique_ptr<backend_connection>> idle_;  // back = most recently used
  std::deque<waiter*> waiters_;
  std::uint32_t open_ = 0;  // idle + borrowed + being opened
  std::uint64_t connects_ = 0;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t acquire_timeouts_ = 0;
  circuit_breaker breaker_;
  std::uint64_t breaker_rejections_ = 0;
  std::string server_version_;
  std::function<void(const std::string&)> on_login_;
  bool stopped_ = false;
  bool maintaining_ = false;  // maintain() runs (it refers to this pool)
  std::shared_ptr<asio::steady_timer> maintenance_timer_;
};

}  // namespace shardgate::backend
