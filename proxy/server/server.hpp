// The ShardGate process: workers, the MySQL listener, the admin endpoint, signals and
// graceful shutdown (stop accepting, let running statements finish, bounded wait).
#pragma once

#include <memory>
#include <vector>

#include "backend/cluster_health.hpp"
#include "backend/health_checker.hpp"
#include "config/config.hpp"
#include "server/worker.hpp"
#include "transactions/xa_coordinator.hpp"
#include "transactions/xa_recovery.hpp"

namespace shardgate::server {

class server {
 public:
  explicit server(std::shared_ptr<const config::config> cfg);
  ~server();
  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

 private:
  awaitable<void> accept_loop();
  void learn_server_version();
  void drain_and_stop();
  void stop_workers();
  bool start_xa();

  std::shared_ptr<const config::config> config_;
  // Before the workers: sessions use it until they are gone.
  std::unique_ptr<transactions::xa_coordinator> xa_;
  std::vector<transactions::recovery_target> xa_targets_;
  shared_state shared_;
  // Before the workers (they read it per statement); the checker writes it.
  backend::fleet_health health_;
  std::unique_ptr<backend::health_checker> checker_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  unsigned next_worker_ = 0;
};

}  // namespace shardgate::server
