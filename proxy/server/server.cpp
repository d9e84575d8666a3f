#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "admin/admin_server.hpp"
#include "transactions/decision_log.hpp"
#include "transactions/xa_recovery.hpp"

namespace shardgate::server {

using namespace std::chrono_literals;

server::server(std::shared_ptr<const config::config> cfg)
    : config_(std::move(cfg)), health_(*config_) {
  unsigned n = config_->listen.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  shared_.max_clients = config_->listen.max_client_connections;
  auto topology = std::make_shared<const routing::topology>(config_);
  for (unsigned i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<worker>(i, n, shared_, config_, topology, health_));
  checker_ = std::make_unique<backend::health_checker>(config_, health_);
  shared_.health_checker = checker_.get();
}

server::~server() {
  for (auto& w : workers_) w->join();
  checker_->stop();
}

// Clients see the backend's version (plus "-ShardGate"): drivers pick SQL dialect and
// features from it, and a MySQL 8 version in front of MariaDB would mislead them.
void server::learn_server_version() {
  if (!config_->listen.server_version.empty()) {
    shared_.set_server_version(config_->listen.server_version);
    return;
  }
  worker& w = *workers_.front();
  // The promise is shared with the probe: if the wait below gives up, a late answer
  // still has somewhere to go.
  auto answer = std::make_shared<std::promise<std::string>>();
  auto version_future = answer->get_future();
  asio::co_spawn(
      w.context(),
      [&w]() -> awaitable<std::string> {
        backend::connection_pool& pool = w.pool(w.default_cluster());
        auto got = co_await pool.acquire({});
        if (!got.conn) co_return std::string();
        std::string v = got.conn->server_version();
        pool.release(std::move(got.conn));
        co_return v;
      },
      [answer](std::exception_ptr e, std::string v) { answer->set_value(e ? std::string() : v); });
  const auto& cluster = *config_->find_cluster(config_->default_cluster);
  std::string version;
  if (version_future.wait_for(std::chrono::milliseconds(cluster.connect_timeout_ms) + 1s) ==
      std::future_status::ready)
    version = version_future.get();
  if (version.empty()) {
    version = shared_state::fallback_server_version;
    spdlog::warn(
        "default cluster {} ({}) is not reachable at start; advertising version {} "
        "until it is (set listen.server_version to pin one)",
        cluster.name, cluster.writer.to_string(), version);
  }  // (a successful login publishes the version through the pool's on_login)
}

awaitable<void> server::accept_loop() {
  for (;;) {
    worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    // The socket belongs to the target worker's io_context from the start.
    auto [ec, socket] = co_await acceptor_->async_accept(target.context(), nothrow_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        asio::steady_timer pause(acceptor_->get_executor(), 100ms);
        co_await pause.async_wait(nothrow_awaitable);
      }
      continue;
    }
    asio::post(target.context(),
               [&target, s = std::move(socket)]() mutable { target.start_session(std::move(s)); });
  }
}

// transactions.cross_shard: xa (or a decision log left from it): open the decision log and
// run recovery on the first worker - now, periodically, and when a session asks.
bool server::start_xa() {
  const auto& tx = config_->transactions;
  if (tx.xa_log.empty()) return true;
  std::string error;
  auto log = transactions::decision_log::open(tx.xa_log, error);
  if (!log) {
    spdlog::error("transactions.xa_log: {}", error);
    return false;
  }
  if (!log->undone_at_open().empty())
    spdlog::warn(
        "XA decision log {}: {} committed transactions may still have prepared "
        "branches; recovery finishes them",
        tx.xa_log, log->undone_at_open().size());
  const auto crash = transactions::xa_coordinator::crash_point_from_env();
  if (crash != transactions::crash_point::none)
    spdlog::warn(
        "SHARDGATE_TEST_XA_CRASH is set: this process kills itself during a "
        "two-phase commit (test fault injection)");
  xa_ = std::make_unique<transactions::xa_coordinator>(tx.xa_name, std::move(log), crash);
  shared_.xa = xa_.get();
  worker& first = *workers_.front();
  for (std::size_t c = 0; c < config_->clusters.size(); ++c)
    xa_targets_.push_back({config_->clusters[c].name, [&first, c]() -> backend::connection_pool& {
                             return first.pool(static_cast<int>(c));
                           }});
  asio::co_spawn(first.context(),
                 transactions::recovery_loop(*xa_, xa_targets_,
                                             std::chrono::seconds(tx.xa_recovery_interval_s)),
                 asio::detached);
  spdlog::info(
      "two-phase commit on (transactions.cross_shard: {}); decision log {}, XA ids "
      "{}-*, recovery every {} s",
      tx.cross_shard == config::cross_shard_mode::xa ? "xa" : "not xa", tx.xa_log, tx.xa_name,
      tx.xa_recovery_interval_s);
  return true;
}

int server::run() {
  // Each cluster's writer is known before the first client arrives (bounded wait).
  std::uint32_t first_round_ms = 0;
  for (const auto& c : config_->clusters)
    first_round_ms = std::max(first_round_ms, c.connect_timeout_ms + c.health.timeout_ms);
  checker_->start(std::chrono::milliseconds(first_round_ms + 200));
  for (auto& w : workers_) w->start_thread();
  if (!start_xa()) {
    stop_workers();
    return 1;
  }
  learn_server_version();

  worker& first = *workers_.front();
  const auto& listen = config_->listen;
  error_code ec;
  tcp::endpoint ep(asio::ip::make_address(listen.address, ec), listen.port);
  acceptor_ = std::make_unique<tcp::acceptor>(first.context());
  if (!ec) acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("cannot listen on {}:{}: {}", listen.address, listen.port, ec.message());
    stop_workers();
    return 1;
  }

  std::unique_ptr<admin::admin_server> admin;
  if (config_->admin.enabled) {
    admin = std::make_unique<admin::admin_server>(
        first.context(), config_->admin, std::make_shared<const routing::topology>(config_));
    std::promise<std::string> started;
    asio::post(first.context(), [&] { started.set_value(admin->start()); });
    if (std::string err = started.get_future().get(); !err.empty()) {
      spdlog::error("{}", err);
      asio::post(first.context(), [&] { acceptor_->close(ec); });
      stop_workers();
      return 1;
    }
  }

  std::promise<int> stop_signal;
  asio::signal_set signals(first.context(), SIGINT, SIGTERM);
  signals.async_wait([&](error_code e, int sig) {
    if (!e) stop_signal.set_value(sig);
  });
  asio::co_spawn(first.context(), accept_loop(), asio::detached);

  const auto& cluster = *config_->find_cluster(config_->default_cluster);
  spdlog::info("ShardGate {} listening on {}:{} with {} workers; default cluster {} ({})",
               SHARDGATE_VERSION, listen.address, listen.port, workers_.size(), cluster.name,
               cluster.writer.to_string());
  if (admin)
    spdlog::info("admin endpoint on http://{}:{}/healthz", config_->admin.address,
                 config_->admin.port);

  const int sig = stop_signal.get_future().get();
  spdlog::info("received signal {}: draining (up to {} s)", sig, listen.shutdown_timeout_s);
  asio::post(first.context(), [&] {
    error_code ignored;
    acceptor_->close(ignored);
    if (admin) admin->stop();
  });
  drain_and_stop();
  spdlog::info("ShardGate stopped");
  return 0;
}

void server::drain_and_stop() {
  for (auto& w : workers_) asio::post(w->context(), [&w = *w] { w.begin_drain(); });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_->listen.shutdown_timeout_s);
  while (shared_.live_sessions.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (std::uint32_t left = shared_.live_sessions.load(); left > 0)
    spdlog::warn("shutdown timeout: closing {} sessions that are still running statements", left);
  stop_workers();
}

void server::stop_workers() {
  checker_->stop();
  // Decisions still being written reach their sessions while the workers' contexts exist.
  if (xa_) xa_->flush();
  for (auto& w : workers_) asio::post(w->context(), [&w = *w] { w.stop(); });
  for (auto& w : workers_) w->join();
}

}  // namespace shardgate::server
