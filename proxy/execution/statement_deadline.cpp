#include "execution/statement_deadline.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

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
  auto s = std::make_shared<state>(conn.stream().get_executor());
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
  ++arms_;
  // (The executor first: the argument order of the call below is unspecified.)
  const asio::any_io_executor ex = conn.stream().get_executor();
  asio::co_spawn(ex, watch(std::move(s)), asio::detached);
}

// KILL QUERY from another connection to the same endpoint (a statement cannot be
// interrupted through its own connection while it runs), bounded by connect_timeout_ms.
awaitable<void> statement_deadline::kill(std::shared_ptr<state> s) {
  using namespace asio::experimental::awaitable_operators;
  s->killed = true;
  backend::backend_connection side(s->timer.get_executor());
  auto err = co_await side.connect(s->target, 0);
  if (!err) {
    const std::string statement = "KILL QUERY " + std::to_string(s->thread_id);
    asio::steady_timer limit(s->timer.get_executor());
    limit.expires_after(std::chrono::milliseconds(s->target.connect_timeout_ms));
    auto outcome = co_await (side.run_internal(protocol::command::query, statement) ||
                             limit.async_wait(asio::use_awaitable));
    if (outcome.index() == 1)
      err = protocol::mysql_error{protocol::er::server_lost, "HY000", "no answer in time"};
    else
      err = std::get<0>(std::move(outcome));
  }
  side.quit();
  if (err)
    spdlog::warn("cluster {} ({}): KILL QUERY {} for a statement over its deadline failed: {}",
                 s->target.cluster, s->target.endpoint.to_string(), s->thread_id, err->message);
}

awaitable<void> statement_deadline::watch(std::shared_ptr<state> s) {
  for (;;) {
    auto [ec] = co_await s->timer.async_wait(nothrow_awaitable);
    if (ec || !s->conn) break;  // disarmed
    const auto now = std::chrono::steady_clock::now();
    if (now >= s->close_at) {
      // The backend sent no complete reply in time: give up on the connection (the read
      // in progress ends with an error), and stop the statement on the server (a server
      // does not notice a closed socket while a statement runs).
      s->timed_out = true;
      error_code ignored;
      s->conn->mark_failed();
      s->conn->stream().shutdown();
      if (!s->killed) co_await kill(s);
      break;
    }
    if (now >= s->kill_at && !s->killed) {
      co_await kill(s);
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
    // A KILL in flight: wait for it (bounded: connect and answer, each connect_timeout_ms).
    if (state_->killed && !state_->finished) co_await state_->done.async_wait(nothrow_awaitable);
  }
}

}  // namespace shardgate::execution
