// The admin HTTP endpoint (loopback): GET /healthz answers 200 while the process runs.
// Later: /metrics, /readyz, /config, /route, /reload.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace shardgate::admin {

class admin_server {
 public:
  admin_server(asio::io_context& context, const config::admin_config& cfg);
  // Binds; returns an error message on failure.
  std::string start();
  void stop();

 private:
  awaitable<void> accept_loop();
  static awaitable<void> serve(tcp::socket socket);

  asio::io_context& context_;
  config::admin_config config_;
  tcp::acceptor acceptor_;
};

}  // namespace shardgate::admin
