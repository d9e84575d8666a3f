// The admin HTTP endpoint (loopback), on its own thread so a slow scrape never delays a
// worker:
//   GET  /healthz          200 while the process runs
//   GET  /readyz           200 when the configuration is loaded and every cluster has a
//                          writer; 503 with the reasons otherwise
//   GET  /metrics          Prometheus text exposition
//   GET  /config           the configuration in use, secrets redacted (YAML)
//   GET  /route?table=T&key=V (or ?sql=...)  a routing decision as JSON
//   GET  /stats/queries[?n=N&sort=total|calls|max]  the top statement fingerprints (JSON)
//   POST /reload           reload the configuration file (JSON: what changed, or the error)
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "admin/route_explain.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"

namespace shardgate::admin {

struct http_reply {
  int status = 200;
  std::string body;
  std::string type = "text/plain; charset=utf-8";
};

// What the endpoints answer from; each runs on the admin thread.
struct admin_services {
  std::function<awaitable<std::string>()> metrics;
  std::function<awaitable<http_reply>()> ready;
  std::function<http_reply()> config;
  std::function<http_reply()> reload;
  std::function<awaitable<http_reply>(std::string_view query)> query_stats;
  // The topology in use (for /route).
  std::function<std::shared_ptr<const routing::topology>()> topology;
};

class admin_server {
 public:
  admin_server(asio::io_context& context, const config::admin_config& cfg, admin_services services);
  // Binds; returns an error message on failure.
  std::string start();
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);
  awaitable<void> answer(std::string_view method, std::string_view path, std::string_view query,
                         http_reply& out);

  asio::io_context& context_;
  config::admin_config config_;
  tcp::acceptor acceptor_;
  admin_services services_;
  std::shared_ptr<const routing::topology> routes_topology_;
  std::unique_ptr<route_explainer> routes_;  // (rebuilt when a reload changes the topology)
};

}  // namespace shardgate::admin
