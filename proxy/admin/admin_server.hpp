// The admin HTTP endpoint (loopback): GET /healthz answers 200 while the process runs;
// GET /route?table=T&key=V (or ?sql=...) explains a routing decision as JSON.
// Later: /metrics, /readyz, /config, /reload.
#pragma once

#include <memory>

#include "admin/route_explain.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"

namespace shardgate::admin {

class admin_server {
 public:
  admin_server(asio::io_context& context, const config::admin_config& cfg,
               std::shared_ptr<const routing::topology> topology);
  // Binds; returns an error message on failure.
  std::string start();
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  asio::io_context& context_;
  config::admin_config config_;
  tcp::acceptor acceptor_;
  route_explainer routes_;  // (used on the admin's thread only)
};

}  // namespace shardgate::admin
