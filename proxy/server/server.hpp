// The ShardGate process: workers, the MySQL listener, the admin endpoint, configuration
// reloads (SIGHUP, the watched file, POST /reload), signals and graceful shutdown (stop
// accepting, let running statements finish, bounded wait).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin/admin_server.hpp"
#include "backend/cluster_health.hpp"
#include "backend/health_checker.hpp"
#include "config/config.hpp"
#include "limits/limits.hpp"
#include "metrics/exposition.hpp"
#include "server/generation.hpp"
#include "server/worker.hpp"
#include "transactions/xa_coordinator.hpp"
#include "transactions/xa_recovery.hpp"

namespace shardgate::server {

struct reload_outcome {
  bool ok = false;
  bool changed = false;  // the file differed from the configuration in use
  std::uint64_t generation = 0;
  std::string error;                      // file:line:column: message (failed)
  std::string summary;                    // what changed (check-config --diff's text)
  std::vector<std::string> restart_only;  // settings that change only on restart
};

class server {
 public:
  explicit server(std::shared_ptr<const config::config> cfg);
  ~server();
  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

  // Loads the configuration file again and, when it is valid, makes it current on every
  // worker. Any thread but a worker's; one reload at a time.
  reload_outcome reload(const char* trigger);

 private:
  reload_outcome reload_locked(const char* trigger);
  std::string refuse_reload(const config::config& old, const config::config& cfg) const;
  void retire_unused_checkers();  // control thread
  awaitable<void> accept_loop();
  awaitable<void> watch_config();
  void learn_server_version();
  void drain_and_stop();
  void stop_workers();
  bool start_xa();
  fleet_snapshot current_fleet() const;
  void apply_live_settings(const config::config& cfg);
  admin::admin_services admin_services();
  awaitable<std::string> scrape_metrics();
  awaitable<admin::http_reply> query_stats(std::string_view query);
  awaitable<admin::http_reply> readiness();
  // Runs `f(worker)` on each worker's thread in turn (from the control thread).
  template <typename F>
  awaitable<void> on_each_worker(F f);

  std::shared_ptr<const config::config> initial_;
  // Before the workers: sessions use it until they are gone.
  std::unique_ptr<transactions::xa_coordinator> xa_;
  shared_state shared_;
  std::unique_ptr<limits::registry> limits_;
  mutable std::mutex fleet_mutex_;  // fleet_ (reloads replace it; the admin thread reads it)
  fleet_snapshot fleet_;
  std::mutex reload_mutex_;  // one reload at a time
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  // Health checkers of earlier configurations still used by sessions on them (control
  // thread; stopped when no generation holds them any more).
  std::vector<std::shared_ptr<backend::health_checker>> retired_checkers_;
  std::chrono::system_clock::time_point loaded_at_;
  std::chrono::system_clock::time_point started_at_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  unsigned next_worker_ = 0;
  // The admin endpoint, signals and the config watcher run here, never on a worker.
  asio::io_context control_;
  std::unique_ptr<admin::admin_server> admin_;
  std::thread control_thread_;
};

}  // namespace shardgate::server
