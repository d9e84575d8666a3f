// The client's side of a session: its socket (TCP or TLS), the read buffer, the command
// being served, the sequence id of the last packet, the capabilities agreed at login, and
// the few replies ShardGate composes itself (OK, ERR, a prepared packet). Whatever streams
// a backend's reply (execution/forward_response, scatter_merge) writes to `stream` and
// moves `seq` on.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "metrics/worker_metrics.hpp"
#include "net/asio.hpp"
#include "net/read_buffer.hpp"
#include "net/stream.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"

namespace shardgate::server {

class client_channel {
 public:
  // `metrics` counts the errors sent (when `metrics_on`).
  client_channel(tcp::socket socket, metrics::worker_metrics& metrics,
                 const std::atomic<bool>& metrics_on)
      : stream(std::move(socket)), metrics_(metrics), metrics_on_(metrics_on) {}
  client_channel(const client_channel&) = delete;
  client_channel& operator=(const client_channel&) = delete;

  net::stream stream;
  net::read_buffer in;
  protocol::bytes payload;        // the command being served (command byte first)
  protocol::bytes out;            // a reply being composed
  std::uint8_t seq = 0;           // sequence id of the last packet received or sent
  std::uint32_t caps = 0;         // the client's capabilities (0 before the login)
  std::uint16_t reply_error = 0;  // the current statement's reply was this error (0: none)
  // Where an idle session's read lands (a command this size or smaller arrives in one
  // recv; a larger one continues in `in`).
  std::array<std::uint8_t, 256> idle_read;

  // One packet after the last sequence id. False: the client is gone.
  awaitable<bool> send_packet(protocol::byte_span payload);
  // OK with `status` flags (the session's status_flags(), plus any extra).
  awaitable<bool> send_ok(std::uint16_t status);
  // The one place where errors found by ShardGate become client ERR packets.
  awaitable<bool> send_error(const protocol::mysql_error& err);
  // The sequence id the next packet to the client carries.
  std::uint8_t next_seq() const noexcept { return static_cast<std::uint8_t>(seq + 1); }
  // After a reply streamed with `next` as the next sequence id to use.
  void sent_up_to(std::uint8_t next) noexcept { seq = static_cast<std::uint8_t>(next - 1); }

 private:
  metrics::worker_metrics& metrics_;
  const std::atomic<bool>& metrics_on_;
  protocol::bytes scratch_;  // framing
};

}  // namespace shardgate::server
