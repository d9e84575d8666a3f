// shardgate: the MySQL sharding proxy's command line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "server/server.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_runtime_error = 1;
constexpr int exit_usage_or_config = 2;

void print_help() {
  std::printf(
      "ShardGate %s - a MySQL-protocol sharding proxy\n"
      "\n"
      "Usage:\n"
      "  shardgate --config FILE            run the proxy\n"
      "  shardgate --config FILE --check-config\n"
      "                                      validate FILE and exit (0 valid, 2 invalid)\n"
      "  shardgate --version                 print the version\n"
      "  shardgate --help                    this text\n"
      "\n"
      "Signals: SIGTERM/SIGINT stop accepting clients, let running statements finish\n"
      "(listen.shutdown_timeout_s), then exit.\n",
      SHARDGATE_VERSION);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      print_help();
      return exit_ok;
    } else if (a == "--version" || a == "-V") {
      std::printf("shardgate %s\n", SHARDGATE_VERSION);
      return exit_ok;
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--config" || a == "-c") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shardgate: --config needs a file name\n");
        return exit_usage_or_config;
      }
      config_path = argv[++i];
    } else if (a.starts_with("--config=")) {
      config_path = std::string(a.substr(9));
    } else {
      std::fprintf(stderr, "shardgate: unknown argument '%s' (see --help)\n", argv[i]);
      return exit_usage_or_config;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "shardgate: --config FILE is required (see --help)\n");
    return exit_usage_or_config;
  }

  auto loaded = shardgate::config::load_file(config_path);
  if (auto* err = std::get_if<shardgate::config::load_error>(&loaded)) {
    std::fprintf(stderr, "%s\n", err->to_string().c_str());
    return exit_usage_or_config;
  }
  auto cfg = std::get<std::shared_ptr<const shardgate::config::config>>(loaded);
  if (check_only) {
    std::printf("%s: OK (%zu users, %zu clusters, default cluster %s)\n", config_path.c_str(),
                cfg->users.size(), cfg->clusters.size(), cfg->default_cluster.c_str());
    return exit_ok;
  }

  auto logger = spdlog::stderr_color_mt("shardgate");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  spdlog::set_level(spdlog::level::from_str(cfg->logging.level));
  std::signal(SIGPIPE, SIG_IGN);

  try {
    shardgate::server::server srv(cfg);
    return srv.run();
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return exit_runtime_error;
  }
}
