#include "server/worker.hpp"

#include <spdlog/spdlog.h>

#include "server/client_session.hpp"

namespace shardgate::server {

worker::worker(unsigned index, unsigned worker_count, shared_state& shared)
    : index_(index),
      worker_count_(worker_count),
      shared_(shared),
      context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO) {
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      context_.get_executor());
}

worker::~worker() {
  join();
  // (Before the io_context goes: pools close their idle connections while it exists.)
  graveyard_->open = false;
  current_.reset();
  graveyard_->pools.clear();
}

void worker::install(const fleet_snapshot& fleet) {
  auto next = std::make_shared<generation>(
      fleet, current_.get(), index_, worker_count_, context_.get_executor(),
      [&shared = shared_](const std::string& version) { shared.learn_server_version(version); },
      metrics_, graveyard_);
  graveyard_->sweep();
  if (thread_.joinable()) next->start_new_pools();  // (else start_thread starts them)
  if (current_) next->drain_dropped(*current_);
  const std::size_t stats_size = fleet.config->logging.query_stats_size;
  if (stats_size == 0)
    query_stats_.reset();
  else if (!query_stats_ || query_stats_->capacity() != stats_size)
    query_stats_ = std::make_unique<metrics::query_stats>(stats_size);
  current_ = std::move(next);
  for (client_session* s : sessions_) s->on_new_generation();
}

bool worker::admit_client() {
  std::uint32_t n = shared_.clients.fetch_add(1, std::memory_order_relaxed);
  if (n >= shared_.max_clients.load(std::memory_order_relaxed)) {
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

void worker::stop() {
  if (current_)
    for (auto& c : current_->pools())
      for (auto& p : c) p->stop();
  work_.reset();
  context_.stop();
}

void worker::start_thread() {
  if (current_) current_->start_new_pools();
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
