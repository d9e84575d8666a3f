#include "admin/admin_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <string_view>

namespace shardgate::admin {

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 422:
      return "Unprocessable Entity";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "Unknown";
}

}  // namespace

admin_server::admin_server(asio::io_context& context, const config::admin_config& cfg,
                           admin_services services)
    : context_(context), config_(cfg), acceptor_(context), services_(std::move(services)) {}

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

// (The reply is an out-parameter: GCC 12 destroys some coroutine return temporaries twice.)
awaitable<void> admin_server::answer(std::string_view method, std::string_view path,
                                     std::string_view query, http_reply& out) {
  const bool get = method == "GET" || method == "HEAD";
  const bool post_only = path == "/reload";
  if (post_only ? method != "POST" : !get) {
    out.status = 405;
    out.body = post_only ? "POST only\n" : "GET only\n";
    co_return;
  }
  if (path == "/healthz") {
    out.body = "ok\n";
  } else if (path == "/readyz") {
    out = co_await services_.ready();
  } else if (path == "/metrics") {
    out.body = co_await services_.metrics();
    out.type = "text/plain; version=0.0.4; charset=utf-8";
  } else if (path == "/config") {
    out = services_.config();
  } else if (path == "/reload") {
    out = services_.reload();
  } else if (path == "/stats/queries") {
    out = co_await services_.query_stats(query);
  } else if (path == "/route") {
    auto topology = services_.topology();
    if (!routes_ || topology != routes_topology_) {
      routes_ = std::make_unique<route_explainer>(topology);
      routes_topology_ = std::move(topology);
    }
    const http_answer a = routes_->explain(query);
    out.status = a.status;
    out.body = a.body;
    out.type = "application/json";
  } else {
    out.status = 404;
    out.body =
        "not found (try /healthz /readyz /metrics /config /route /stats/queries, POST /reload)\n";
  }
}

awaitable<void> admin_server::serve(tcp::socket socket) {
  asio::streambuf request(16384);
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
  // "METHOD TARGET HTTP/1.x"
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  http_reply reply;
  std::string_view method;
  if (sp2 == std::string_view::npos) {
    reply.status = 400;
    reply.body = "bad request\n";
  } else {
    method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query =
        q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    std::exception_ptr failed;
    try {
      co_await answer(method, path, query, reply);
    } catch (const std::exception&) {
      failed = std::current_exception();
    }
    if (failed) {
      reply = http_reply{};
      reply.status = 500;
      try {
        std::rethrow_exception(failed);
      } catch (const std::exception& e) {
        spdlog::error("admin {}: {}", path, e.what());
        reply.body = std::string("internal error: ") + e.what() + "\n";
      }
    }
  }
  std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                         reason_phrase(reply.status) + "\r\nContent-Type: " + reply.type +
                         "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                         "\r\nConnection: close\r\n\r\n";
  if (method != "HEAD") response += reply.body;
  co_await asio::async_write(socket, asio::buffer(response), nothrow_awaitable);
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace shardgate::admin
