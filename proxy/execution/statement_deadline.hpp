// Deadlines of one statement on one backend connection: `max_execution` (the statement is
// killed on the server with KILL QUERY over a side connection, so the server stops working
// on it and answers the client with its "interrupted" error) and `read_timeout` (the backend
// is declared lost: the connection is shut down, the client gets error 2013, and the
// circuit breaker counts a failure). Armed when the statement is sent, disarmed when its
// reply has been read; costs nothing when neither is set.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "backend/backend_connection.hpp"
#include "net/asio.hpp"

namespace shardgate::execution {

class statement_deadline {
 public:
  statement_deadline() = default;
  statement_deadline(const statement_deadline&) = delete;
  statement_deadline& operator=(const statement_deadline&) = delete;
  ~statement_deadline();

  // Zero durations: no deadline of that kind.
  void arm(backend::backend_connection& conn, std::chrono::milliseconds max_execution,
           std::chrono::milliseconds read_timeout);
  // The reply has been read (or given up): stops the timer and waits for a KILL QUERY in
  // flight to finish, so it cannot reach a later statement of the connection.
  awaitable<void> disarm();

  // What fired (valid after disarm()).
  bool killed() const noexcept { return state_ && state_->killed; }
  bool timed_out() const noexcept { return state_ && state_->timed_out; }
  // Changes at every arm() (tells whether the flags above belong to a given statement; a
  // count, not the state's address, which a new statement's state can reuse).
  std::uint64_t arm_id() const noexcept { return arms_; }

 private:
  struct state {
    explicit state(asio::any_io_executor ex) : timer(ex), done(ex) {}
    asio::steady_timer timer;
    asio::steady_timer done;  // cancelled when the watchdog has finished
    backend::backend_target target;
    std::uint32_t thread_id = 0;
    backend::backend_connection* conn = nullptr;  // null once disarmed
    std::chrono::steady_clock::time_point kill_at{}, close_at{};
    bool killed = false;     // KILL QUERY was sent
    bool timed_out = false;  // the connection was shut down (read_timeout)
    bool finished = false;
  };
  static awaitable<void> watch(std::shared_ptr<state> s);
  static awaitable<void> kill(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
  std::uint64_t arms_ = 0;
};

}  // namespace shardgate::execution
