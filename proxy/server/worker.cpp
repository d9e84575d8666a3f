#include "server/worker.hpp"

#include <spdlog/spdlog.h>

#include "server/client_session.hpp"

namespace shardgate::server {

namespace {
std::uint32_t share_of(std::uint32_t total, unsigned index, unsigned count) {
  std::uint32_t share = total / count + (index < total % count ? 1 : 0);
  return share == 0 ? 1 : share;
}
}  // namespace

worker::worker(unsigned index, unsigned worker_count, shared_state& shared,
               std::shared_ptr<const config::config> cfg,
               std::shared_ptr<const routing::topology> topology, backend::fleet_health& health)
    : index_(index),
      shared_(shared),
      config_(std::move(cfg)),
      context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      health_(health),
      router_(std::move(topology)) {
  for (std::size_t ci = 0; ci < config_->clusters.size(); ++ci) {
    const config::cluster_config& c = config_->clusters[ci];
    backend::pool_limits limits;
    limits.max_connections = share_of(c.pool.max_connections, index, worker_count);
    limits.min_idle =
        c.pool.min_idle / worker_count + (index < c.pool.min_idle % worker_count ? 1 : 0);
    limits.acquire_timeout = std::chrono::milliseconds(c.pool.acquire_timeout_ms);
    limits.idle_timeout = std::chrono::seconds(c.pool.idle_timeout_s);
    limits.breaker_enabled = c.circuit_breaker.enabled;
    limits.breaker.window = c.circuit_breaker.window;
    limits.breaker.failure_rate = c.circuit_breaker.failure_rate;
    limits.breaker.open_for = std::chrono::seconds(c.circuit_breaker.open_s);
    limits.breaker.half_open_probes = c.circuit_breaker.half_open_probes;
    auto& endpoints = pools_.emplace_back();
    const auto addresses = c.endpoints();
    for (std::size_t e = 0; e < addresses.size(); ++e) {
      backend::backend_target target{c.name,
                                     addresses[e],
                                     c.user,
                                     c.password,
                                     c.connect_timeout_ms,
                                     static_cast<int>(ci),
                                     static_cast<int>(e)};
      endpoints.push_back(std::make_unique<backend::connection_pool>(
          context_.get_executor(), target, limits,
          [&shared](const std::string& version) { shared.learn_server_version(version); }));
    }
  }
  default_cluster_ = config_->cluster_index(config_->default_cluster);
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      context_.get_executor());
}

worker::~worker() {
  join();
  pools_.clear();
}

bool worker::admit_client() {
  std::uint32_t n = shared_.clients.fetch_add(1, std::memory_order_relaxed);
  if (n >= shared_.max_clients) {
    shared_.clients.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void worker::release_client() {
  shared_.clients.fetch_sub(1, std::memory_order_relaxed);
}

awaitable<void> run_session(worker* w, std::unique_ptr<client_session> session) {
  co_await session->run();
  w->sessions_.erase(session->registry_position);
  w->shared_.live_sessions.fetch_sub(1, std::memory_order_release);
}

void worker::start_session(tcp::socket socket) {
  if (draining_) return;  // the socket closes as it goes out of scope
  const std::uint32_t id = shared_.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  auto session = std::make_unique<client_session>(*this, std::move(socket), id);
  sessions_.push_front(session.get());
  session->registry_position = sessions_.begin();
  shared_.live_sessions.fetch_add(1, std::memory_order_acq_rel);
  asio::co_spawn(context_, run_session(this, std::move(session)), asio::detached);
}

void worker::begin_drain() {
  draining_ = true;
  for (client_session* s : sessions_) s->request_close();
}

backend::connection_pool* worker::reader_pool(int index) noexcept {
  auto& endpoints = pools_[static_cast<std::size_t>(index)];
  if (endpoints.size() == 1) return nullptr;
  const backend::cluster_health& h = health_[index];
  candidates_.clear();
  for (std::size_t e = 0; e < endpoints.size(); ++e) {
    const int i = static_cast<int>(e);
    if (!h.serves_reads(i) || endpoints[e]->failing_fast()) continue;
    candidates_.push_back({i, endpoints[e]->outstanding(), h.weight(i)});
  }
  const int pick = backend::pick_reader(candidates_, reader_rotation_++);
  return pick < 0 ? nullptr : endpoints[static_cast<std::size_t>(pick)].get();
}

void worker::stop() {
  for (auto& c : pools_)
    for (auto& p : c) p->stop();
  work_.reset();
  context_.stop();
}

void worker::start_thread() {
  for (auto& c : pools_)
    for (auto& p : c) p->start();
  thread_ = std::thread([this] {
    try {
      context_.run();
    } catch (const std::exception& e) {
      spdlog::critical("worker {} stopped by an exception: {}", index_, e.what());
      std::abort();
    }
  });
}

void worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace shardgate::server
