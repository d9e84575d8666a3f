#include "net/stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "net/drained.hpp"
#include "net/packet_io.hpp"

namespace shardgate::net {

awaitable<error_code> stream::accept_tls(asio::ssl::context& ctx) {
  tls_ = std::make_unique<tls_stream>(socket_, ctx);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, nothrow_awaitable);
  co_return ec;
}

awaitable<error_code> stream::connect_tls(asio::ssl::context& ctx, const std::string& host,
                                          bool verify_host) {
  tls_ = std::make_unique<tls_stream>(socket_, ctx);
  SSL* ssl = tls_->native_handle();
  error_code not_address;
  (void)asio::ip::make_address(host, not_address);
  const bool is_address = !not_address;
  // SNI only for names (RFC 6066 forbids addresses there).
  if (!is_address) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (verify_host) {
    // Checks the name (or IP address) against the certificate's subjectAltName / CN.
    if (is_address)
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    else
      SSL_set1_host(ssl, host.c_str());
  }
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, nothrow_awaitable);
  co_return ec;
}

std::string stream::tls_version() const {
  if (!tls_) return {};
  return SSL_get_version(const_cast<tls_stream&>(*tls_).native_handle());
}

std::string stream::peer_subject() const {
  if (!tls_) return {};
  X509* cert = SSL_get1_peer_certificate(const_cast<tls_stream&>(*tls_).native_handle());
  if (!cert) return {};
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  X509_free(cert);
  return buf;
}

awaitable<std::pair<error_code, std::size_t>> stream::read_some(asio::mutable_buffer into) {
  if (tls_) {
    auto [ec, n] = co_await tls_->async_read_some(into, nothrow_awaitable);
    co_return std::pair{ec, n};
  }
  auto [ec, n] = co_await socket_.async_read_some(into, nothrow_awaitable);
  // A short read drained the socket: the next read waits for the reactor's edge without a
  // recv that would fail (net/drained.hpp).
  if (!ec && n < into.size()) mark_drained(socket_);
  co_return std::pair{ec, n};
}

awaitable<error_code> stream::write(protocol::byte_span data) {
  if (tls_) {
    tls_out_.assign(data.begin(), data.end());
    co_return co_await write_tls(std::chrono::milliseconds::zero());
  }
  error_code ec;
  std::size_t sent = socket_.send(asio::buffer(data.data(), data.size()), 0, ec);
  if (!ec && sent == data.size()) co_return ec;
  if (ec && ec != asio::error::would_block) co_return ec;
  data = data.subspan(ec ? 0 : sent);
  auto [wec, n] = co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                                             nothrow_awaitable);
  (void)n;
  co_return wec;
}

awaitable<error_code> stream::write(const std::vector<asio::const_buffer>& buffers,
                                    std::chrono::milliseconds timeout) {
  if (tls_) {
    // One buffer: asio::ssl makes a TLS record per buffer of a sequence.
    tls_out_.clear();
    for (const auto& b : buffers) {
      const auto* p = static_cast<const std::uint8_t*>(b.data());
      tls_out_.insert(tls_out_.end(), p, p + b.size());
    }
    co_return co_await write_tls(timeout);
  }
  // Sends at once with a non-blocking send and falls back to an asynchronous write only
  // for what the kernel did not take: a completed send needs no trip through the
  // scheduler (which would cost an extra epoll_wait per statement).
  error_code ec;
  std::size_t sent = socket_.send(buffers, 0, ec);
  if (ec && ec != asio::error::would_block) co_return ec;
  if (ec) sent = 0;
  if (sent == asio::buffer_size(buffers)) co_return error_code{};
  // The kernel took part of it (the peer reads slowly): queue the rest, with a deadline.
  std::vector<asio::const_buffer> rest;
  for (const auto& b : buffers) {
    if (sent >= b.size()) {
      sent -= b.size();
      continue;
    }
    rest.push_back(b + sent);
    sent = 0;
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(socket_.get_executor());
  deadline.expires_after(timeout);
  auto outcome = co_await (asio::async_write(socket_, rest, nothrow_awaitable) ||
                           deadline.async_wait(nothrow_awaitable));
  if (outcome.index() == 1) co_return make_error(io_errc::timed_out);
  co_return std::get<0>(std::get<0>(outcome));
}

awaitable<error_code> stream::write_tls(std::chrono::milliseconds timeout) {
  auto buf = asio::buffer(tls_out_.data(), tls_out_.size());
  if (timeout == std::chrono::milliseconds::zero()) {
    auto [ec, n] = co_await asio::async_write(*tls_, buf, nothrow_awaitable);
    (void)n;
    co_return ec;
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(socket_.get_executor());
  deadline.expires_after(timeout);
  auto outcome = co_await (asio::async_write(*tls_, buf, nothrow_awaitable) ||
                           deadline.async_wait(nothrow_awaitable));
  if (outcome.index() == 1) co_return make_error(io_errc::timed_out);
  co_return std::get<0>(std::get<0>(outcome));
}

void stream::send_now(protocol::byte_span data) noexcept {
  if (tls_) return;  // a TLS record cannot be half-sent safely; closing is enough
  error_code ignored;
  socket_.send(asio::buffer(data.data(), data.size()), 0, ignored);
}

void stream::cancel() noexcept {
  error_code ignored;
  socket_.cancel(ignored);
}

void stream::shutdown() noexcept {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
}

void stream::close() noexcept {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace shardgate::net
