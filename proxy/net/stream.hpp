// A connection's byte stream: a TCP socket, optionally upgraded to TLS after the MySQL
// handshake's SSLRequest (both directions: clients -> ShardGate and ShardGate -> backends).
// The plain path keeps the kernel-cost tricks of the packet layer (a non-blocking send
// before any asynchronous write, no recv known to fail before a wait); the TLS path goes
// through asio::ssl, gathering a write's pieces into one TLS record run.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "net/asio.hpp"
#include "protocol/bytes.hpp"

namespace shardgate::net {

class stream {
 public:
  explicit stream(tcp::socket socket) : socket_(std::move(socket)) {}
  explicit stream(asio::any_io_executor ex) : socket_(std::move(ex)) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  // The TCP socket under the stream (options, endpoints, readiness, shutdown).
  tcp::socket& socket() noexcept { return socket_; }
  auto get_executor() { return socket_.get_executor(); }
  bool secure() const noexcept { return tls_ != nullptr; }

  // Upgrades to TLS as the server (ShardGate's listener) or as the client (to a backend:
  // `host` names the server for SNI and, with `verify_host`, for the certificate check).
  // Bytes already buffered above this stream must be none (the peer waits for us).
  awaitable<error_code> accept_tls(asio::ssl::context& ctx);
  awaitable<error_code> connect_tls(asio::ssl::context& ctx, const std::string& host,
                                    bool verify_host);
  // The negotiated protocol ("TLSv1.3"), or empty when plain.
  std::string tls_version() const;
  // The verified client certificate's subject (listen.tls.ca set), or empty.
  std::string peer_subject() const;

  // One read of at least one byte. On plain TCP a read that returns less than `into` holds
  // has drained the socket, and the next read waits for the kernel's edge without a failed
  // recv first (net/drained.hpp).
  awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer into);

  awaitable<error_code> write(protocol::byte_span data);
  // Writes a gather list; a peer that takes nothing for `timeout` fails it with
  // io_errc::timed_out.
  awaitable<error_code> write(const std::vector<asio::const_buffer>& buffers,
                              std::chrono::milliseconds timeout);

  // Best-effort send of a few bytes without waiting (COM_QUIT on close; plain only).
  void send_now(protocol::byte_span data) noexcept;
  void cancel() noexcept;
  void shutdown() noexcept;  // both directions; pending operations fail
  void close() noexcept;
  bool is_open() const noexcept { return socket_.is_open(); }

 private:
  using tls_stream = asio::ssl::stream<tcp::socket&>;
  awaitable<error_code> write_tls(std::chrono::milliseconds timeout);

  tcp::socket socket_;
  std::unique_ptr<tls_stream> tls_;
  protocol::bytes tls_out_;  // a TLS write's bytes gathered into one buffer
};

}  // namespace shardgate::net
