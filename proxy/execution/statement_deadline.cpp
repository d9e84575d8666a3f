#include "execution/statement_deadline.hpp"

#include <spdlog/spdlog.h>

namespace shardgate::execution {

statement_deadline::~statement_deadline() {
  if (state_ && !state_->finished) {
    state_->conn = nullptr;
    state_->timer.cancel();
  }
}

void statement_deadline::arm(backend::backend_connection& conn,
                             std::chrono::milliseconds max_execution,
                             std::chrono::milliseconds read_timeout) {
  state_.reset();
  if (max_execution.count() == 0 && read_timeout.count() == 0) return;
  const auto now = std::chrono::steady_clock::now();
  auto s = std::make_shared<state>(conn.socket().get_executor());
  s->target = conn.target();
  s->thread_id = conn.server_thread_id();
  s->conn = &conn;
  s->kill_at =
      max_execution.count() ? now + max_execution : std::chrono::steady_clock::time_point::max();
  s->close_at =
      read_timeout.count() ? now + read_timeout : std::chrono::steady_clock::time_point::max();
  s->timer.expires_at(std::min(s->kill_at, s->close_at));
  s->done.expires_at(std::chrono::steady_clock::time_point::max());
  state_ = s;
  // (The executor first: the argument order of the call below is unspecified.)
  const asio::any_io_executor ex = conn.socket().get_executor();
  asio::co_spawn(ex, watch(std::move(s)), asio::detached);
}

awaitable<void> statement_deadline::watch(std::shared_ptr<state> s) {
  for (;;) {
    auto [ec] = co_await s->timer.async_wait(nothrow_awaitable);
    if (ec || !s->conn) break;  // disarmed
    const auto now = std::chrono::steady_clock::now();
    if (now >= s->close_at) {
      // The backend sent no complete reply in time: give up on the connection (the read in
      // progress ends with an error; the server notices the closed socket on its own).
      s->timed_out = true;
      error_code ignored;
      s->conn->mark_failed();
      s->conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
      break;
    }
    if (now >= s->kill_at && !s->killed) {
      s->killed = true;
      // KILL QUERY from another connection to the same endpoint (a statement cannot be
      // interrupted through its own connection while it runs).
      backend::backend_connection side(s->timer.get_executor());  // (s stays alive: owned here)
      auto err = co_await side.connect(s->target, 0);
      if (!err) {
        const std::string kill = "KILL QUERY " + std::to_string(s->thread_id);
        err = co_await side.run_internal(protocol::command::query, kill);
      }
      side.close();
      if (err)
        spdlog::warn(
            "cluster {} ({}): KILL QUERY {} for a statement over max_execution_ms failed: {}",
            s->target.cluster, s->target.endpoint.to_string(), s->thread_id, err->message);
      if (!s->conn || s->close_at == std::chrono::steady_clock::time_point::max()) break;
      s->timer.expires_at(s->close_at);
      continue;
    }
    s->timer.expires_at(std::min(s->killed ? s->close_at : s->kill_at, s->close_at));
  }
  s->finished = true;
  s->done.cancel();
}

awaitable<void> statement_deadline::disarm() {
  if (!state_) co_return;
  state_->conn = nullptr;
  if (!state_->finished) {
    state_->timer.cancel();
    // A KILL in flight: wait for it (bounded by its connect timeout).
    if (state_->killed && !state_->finished) co_await state_->done.async_wait(nothrow_awaitable);
  }
}

}  // namespace shardgate::execution
