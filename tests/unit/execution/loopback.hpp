// Test helper for the execution primitives that do I/O: a connected pair of TCP sockets on
// 127.0.0.1 (a real kernel connection, no mock), and a backend_connection whose socket is
// one end, so a test plays the server on the other end with raw protocol bytes.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include "backend/backend_connection.hpp"

#include "net/asio.hpp"
#include "protocol/bytes.hpp"
#include "protocol/framing.hpp"

namespace shardgate::execution::testing {

inline std::pair<tcp::socket, tcp::socket> socket_pair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  a.connect(acceptor.local_endpoint());
  acceptor.accept(b);
  a.set_option(tcp::no_delay(true));
  b.set_option(tcp::no_delay(true));
  return {std::move(a), std::move(b)};
}

// One side of a backend connection under test; `server` is the other end.
struct fake_shard {
  backend::backend_target target;
  backend::backend_connection conn;
  tcp::socket server;

  fake_shard(asio::io_context& io, const std::string& name, std::uint32_t caps)
      : conn(io.get_executor()), server(io) {
    auto [a, b] = socket_pair(io);
    conn.stream().socket() = std::move(a);
    server = std::move(b);
    target.cluster = name;
    target.endpoint = {"127.0.0.1", 3306};
    conn.set_target(target);
    conn.set_capabilities(caps);
  }
  // Sends `payloads` as packets with sequence ids from `seq`.
  void send(const std::vector<protocol::bytes>& payloads, std::uint8_t seq = 1) {
    protocol::bytes wire;
    for (const auto& p : payloads) protocol::append_packet(wire, p, seq);
    asio::write(server, asio::buffer(wire));
  }
  // Reads one packet the proxy sent (blocking).
  protocol::bytes receive(std::uint8_t* seq = nullptr) {
    std::uint8_t header[4];
    asio::read(server, asio::buffer(header));
    const std::size_t n = header[0] | (header[1] << 8) | (header[2] << 16);
    if (seq) *seq = header[3];
    protocol::bytes payload(n);
    asio::read(server, asio::buffer(payload));
    return payload;
  }
};

// Runs `work` (an awaitable) to completion on `io`.
template <typename Awaitable>
void run(asio::io_context& io, Awaitable work) {
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        co_await std::move(work);
        finished = true;
      },
      asio::detached);
  io.restart();
  io.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(finished) << "the primitive did not finish within 10 s";
}

}  // namespace shardgate::execution::testing
