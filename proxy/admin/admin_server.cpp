#include "admin/admin_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <string_view>

namespace shardgate::admin {

admin_server::admin_server(asio::io_context& context, const config::admin_config& cfg,
                           std::shared_ptr<const routing::topology> topology)
    : context_(context), config_(cfg), acceptor_(context), routes_(std::move(topology)) {}

std::string admin_server::start() {
  error_code ec;
  tcp::endpoint ep(asio::ip::make_address(config_.address, ec), config_.port);
  if (ec) return "admin.address: " + ec.message();
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(64, ec);
  if (ec)
    return "cannot listen on admin " + config_.address + ":" + std::to_string(config_.port) + ": " +
           ec.message();
  asio::co_spawn(context_, accept_loop(), asio::detached);
  return {};
}

void admin_server::stop() {
  error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void> admin_server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(nothrow_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;
    }
    asio::co_spawn(context_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> admin_server::serve(tcp::socket socket) {
  asio::streambuf request(8192);
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(std::chrono::seconds(5));
  auto outcome = co_await (asio::async_read_until(socket, request, "\r\n\r\n", nothrow_awaitable) ||
                           deadline.async_wait(nothrow_awaitable));
  if (outcome.index() != 0) co_return;  // too slow
  auto [ec, n] = std::get<0>(outcome);
  if (ec) co_return;
  std::string_view head(static_cast<const char*>(request.data().data()), n);
  std::string_view line = head.substr(0, head.find("\r\n"));
  std::string status = "404 Not Found";
  std::string body = "not found\n";
  std::string type = "text/plain; charset=utf-8";
  if (line.starts_with("GET /healthz ") || line.starts_with("HEAD /healthz ")) {
    status = "200 OK";
    body = "ok\n";
  } else if (line.starts_with("GET /route?") || line.starts_with("GET /route ")) {
    // "GET /route?QUERY HTTP/1.1"
    std::string_view target = line.substr(4);
    target = target.substr(0, target.find(' '));
    const auto q = target.find('?');
    const http_answer a =
        routes_.explain(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
    status = a.status == 200   ? "200 OK"
             : a.status == 422 ? "422 Unprocessable Entity"
                               : "400 Bad Request";
    body = a.body;
    type = "application/json";
  } else if (!line.starts_with("GET ") && !line.starts_with("HEAD ")) {
    status = "405 Method Not Allowed";
    body = "method not allowed\n";
  }
  std::string response = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                         "\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
  co_await asio::async_write(socket, asio::buffer(response), nothrow_awaitable);
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace shardgate::admin
