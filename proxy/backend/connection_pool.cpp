#include "backend/connection_pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "protocol/errors.hpp"

namespace shardgate::backend {

using namespace std::chrono_literals;

namespace {
// An idle connection unused for this long is checked before it is handed out: the server
// may have closed it (restart, wait_timeout) and a statement sent on it would be lost.
constexpr auto stale_check_after = 1s;

bool still_open(backend_connection& c) {
  char b;
  ssize_t n = ::recv(c.stream().socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  // Nothing to read is the healthy state; EOF, an error or unexpected bytes are not.
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

connection_pool::connection_pool(asio::any_io_executor ex, backend_target target,
                                 pool_limits limits,
                                 std::function<void(const std::string&)> on_login)
    : executor_(std::move(ex)),
      target_(std::move(target)),
      limits_(limits),
      breaker_(limits.breaker),
      on_login_(std::move(on_login)) {}

connection_pool::~connection_pool() {
  stop();
}

bool connection_pool::same_settings(const backend_target& t, const pool_limits& l) const noexcept {
  const auto& b = limits_.breaker;
  return target_.cluster == t.cluster && target_.endpoint == t.endpoint && target_.user == t.user &&
         target_.password == t.password && target_.connect_timeout_ms == t.connect_timeout_ms &&
         target_.tls.mode == t.tls.mode && target_.tls.ca == t.tls.ca &&
         target_.tls.cert == t.tls.cert && target_.tls.key == t.tls.key &&
         limits_.max_connections == l.max_connections && limits_.min_idle == l.min_idle &&
         limits_.acquire_timeout == l.acquire_timeout && limits_.idle_timeout == l.idle_timeout &&
         limits_.breaker_enabled == l.breaker_enabled && b.window == l.breaker.window &&
         b.failure_rate == l.breaker.failure_rate && b.open_for == l.breaker.open_for &&
         b.half_open_probes == l.breaker.half_open_probes;
}

bool connection_pool::acceptable(const backend_connection& c,
                                 const connection_requirements& req) const {
  return c.flavour() == req.flavour && (!req.no_schema || c.state.schema.empty());
}

std::unique_ptr<backend_connection> connection_pool::take_idle(const connection_requirements& req) {
  const auto now = std::chrono::steady_clock::now();
  auto pick = [&](auto it) {
    std::unique_ptr<backend_connection> c = std::move(*it);
    idle_.erase(it);
    return c;
  };
  while (!idle_.empty()) {
    auto it = idle_.end();
    if (req.preferred) {
      it = std::find_if(idle_.begin(), idle_.end(),
                        [&](const auto& c) { return c.get() == req.preferred; });
      if (it != idle_.end() && !acceptable(**it, req)) it = idle_.end();
    }
    if (it == idle_.end()) {
      auto rit = std::find_if(idle_.rbegin(), idle_.rend(),
                              [&](const auto& c) { return acceptable(*c, req); });
      if (rit == idle_.rend()) return nullptr;
      it = std::next(rit).base();
    }
    std::unique_ptr<backend_connection> c = pick(it);
    if (now - c->idle_since < stale_check_after || still_open(*c)) return c;
    c->close();
    free_slot();
  }
  return nullptr;
}

awaitable<connection_pool::acquired> connection_pool::acquire(connection_requirements req) {
  // (Closed - the usual state - lets every call through without reading the clock.)
  if (limits_.breaker_enabled && breaker_.state() != breaker_state::closed &&
      !breaker_.allow(std::chrono::steady_clock::now())) {
    ++breaker_rejections_;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        breaker_.retry_at() - std::chrono::steady_clock::now());
    co_return acquired{
        nullptr, protocol::mysql_error{
                     protocol::er::conn_host_error, "HY000",
                     "ShardGate: cluster " + target_.cluster + " (" + target_.endpoint.to_string() +
                         ") is failing: its circuit breaker is open (" +
                         std::to_string(breaker_.failures_in_window()) + " of the last " +
                         std::to_string(breaker_.calls_in_window()) +
                         " calls failed); statements fail at once until trial calls in " +
                         std::to_string(std::max<long long>(0, wait.count())) + " ms succeed"}};
  }
  if (auto c = take_idle(req)) co_return acquired{std::move(c), std::nullopt};
  if (open_ < limits_.max_connections) co_return co_await open_new(req);
  // At the limit: an idle connection of the wrong kind gives its slot to a new one.
  if (!idle_.empty()) {
    idle_.front()->quit();
    idle_.erase(idle_.begin());
    --open_;
    co_return co_await open_new(req);
  }
  asio::steady_timer timer(executor_);
  timer.expires_after(limits_.acquire_timeout);
  waiter w{&timer, nullptr, false};
  waiters_.push_back(&w);
  co_await timer.async_wait(nothrow_awaitable);
  if (w.conn) {
    if (acceptable(*w.conn, req)) co_return acquired{std::move(w.conn), std::nullopt};
    w.conn->close();
    w.conn.reset();
    --open_;
    co_return co_await open_new(req);
  }
  if (w.slot_free) co_return co_await open_new(req);
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
  ++acquire_timeouts_;
  co_return acquired{
      nullptr, protocol::mysql_error{
                   protocol::er::con_count, "08004",
                   "ShardGate: no connection to cluster " + target_.cluster + " (" +
                       target_.endpoint.to_string() + ") became free within " +
                       std::to_string(limits_.acquire_timeout.count()) +
                       " ms (pool.max_connections reached; raise it or pool.acquire_timeout_ms)"}};
}

awaitable<connection_pool::acquired> connection_pool::open_new(const connection_requirements& req) {
  ++open_;
  auto c = std::make_unique<backend_connection>(executor_);
  auto err = co_await c->connect(target_, req.flavour);
  if (err) {
    ++connect_failures_;
    if (limits_.breaker_enabled) {
      const breaker_state before = breaker_.state();
      breaker_.on_failure(std::chrono::steady_clock::now());
      log_breaker_change(before);
    }
    free_slot();
    co_return acquired{nullptr, std::move(err)};
  }
  ++connects_;
  if (server_version_.empty()) {
    server_version_ = c->server_version();
    if (on_login_) on_login_(server_version_);
  }
  co_return acquired{std::move(c), std::nullopt};
}

void connection_pool::log_breaker_change(breaker_state before) const {
  const breaker_state now = breaker_.state();
  if (now == before) return;
  if (now == breaker_state::open)
    spdlog::warn(
        "cluster {} ({}): circuit breaker opened ({} of the last {} calls failed); "
        "statements fail at once for {} s",
        target_.cluster, target_.endpoint.to_string(), breaker_.failures_in_window(),
        breaker_.calls_in_window(),
        std::chrono::duration_cast<std::chrono::seconds>(breaker_.settings().open_for).count());
  else if (now == breaker_state::closed)
    spdlog::info("cluster {} ({}): circuit breaker closed (trial calls succeeded)", target_.cluster,
                 target_.endpoint.to_string());
}

void connection_pool::free_slot() {
  --open_;
  if (!waiters_.empty()) {
    waiter* w = waiters_.front();
    waiters_.pop_front();
    w->slot_free = true;  // the waiter opens a new connection in this slot
    w->timer->cancel();
  }
}

void connection_pool::release(std::unique_ptr<backend_connection> conn) {
  if (!conn) return;
  if (limits_.breaker_enabled) {
    const breaker_state before = breaker_.state();
    if (conn->failed()) {
      breaker_.on_failure(std::chrono::steady_clock::now());
    } else {
      breaker_.on_success();  // (no clock needed)
    }
    log_breaker_change(before);
  }
  if (conn->broken() || stopped_) {
    conn->quit();  // (a broken one is only closed)
    free_slot();
    return;
  }
  conn->idle_since = std::chrono::steady_clock::now();
  if (!waiters_.empty()) {
    waiter* w = waiters_.front();
    waiters_.pop_front();
    w->conn = std::move(conn);
    w->timer->cancel();
    return;
  }
  idle_.push_back(std::move(conn));
}

void connection_pool::start() {
  maintenance_timer_ = std::make_shared<asio::steady_timer>(executor_);
  asio::co_spawn(executor_, maintain(), asio::detached);
}

void connection_pool::stop() {
  stopped_ = true;
  for (auto& c : idle_) c->quit();
  open_ -= static_cast<std::uint32_t>(idle_.size());
  idle_.clear();
  if (maintenance_timer_) maintenance_timer_->cancel();
}

awaitable<void> connection_pool::maintain() {
  auto timer = maintenance_timer_;
  maintaining_ = true;
  while (!stopped_) {
    timer->expires_after(1s);
    co_await timer->async_wait(nothrow_awaitable);
    if (stopped_) break;
    const auto now = std::chrono::steady_clock::now();
    // Close the least recently used idle connections above min_idle that idled too long.
    while (idle_.size() > limits_.min_idle &&
           now - idle_.front()->idle_since > limits_.idle_timeout) {
      idle_.front()->quit();
      idle_.erase(idle_.begin());
      free_slot();
    }
    // Keep min_idle connections open (one at a time; failures retry next tick).
    if (idle_.size() < limits_.min_idle && open_ < limits_.max_connections && waiters_.empty()) {
      auto got = co_await open_new({});
      if (got.conn) release(std::move(got.conn));
    }
  }
  maintaining_ = false;
}

pool_stats connection_pool::stats() const noexcept {
  return {open_,
          static_cast<std::uint32_t>(idle_.size()),
          static_cast<std::uint32_t>(waiters_.size()),
          connects_,
          connect_failures_,
          acquire_timeouts_,
          breaker_.state(),
          breaker_.trips(),
          breaker_rejections_};
}

}  // namespace shardgate::backend
