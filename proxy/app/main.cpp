// shardgate: the MySQL sharding proxy's command line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "admin/config_diff.hpp"
#include "build_info/version.hpp"
#include "config/loader.hpp"
#include "net/tls_context.hpp"
#include "routing/router.hpp"
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
      "  shardgate check-config --diff OLD NEW [--keys FILE]\n"
      "                                      what reloading NEW in place of OLD would change:\n"
      "                                      settings (secrets hidden), settings that need a\n"
      "                                      restart, and sample keys that would move to\n"
      "                                      another shard (--keys: more keys, one\n"
      "                                      'schema.table key' a line); exit 0 if NEW is\n"
      "                                      valid, 2 if either file is invalid\n"
      "  shardgate route --config FILE [--schema S] --table T --key VALUE\n"
      "  shardgate route --config FILE [--schema S] --sql \"STATEMENT\"\n"
      "                                      print where a key or a statement would go, and\n"
      "                                      why (exit 0 routed, 3 refused, 2 bad input)\n"
      "  shardgate --version                 print the version\n"
      "  shardgate --help                    this text\n"
      "\n"
      "Signals: SIGTERM/SIGINT stop accepting clients, let running statements finish\n"
      "(listen.shutdown_timeout_s), then exit.\n",
      shardgate::build_info::version());
}

// The configuration, or null after printing "file:line:col: message" to stderr.
std::shared_ptr<const shardgate::config::config> load_config(const std::string& path) {
  auto loaded = shardgate::config::load_file(path);
  if (auto* err = std::get_if<shardgate::config::load_error>(&loaded)) {
    std::fprintf(stderr, "%s\n", err->to_string().c_str());
    return nullptr;
  }
  return std::get<std::shared_ptr<const shardgate::config::config>>(loaded);
}

// `shardgate check-config --diff OLD NEW [--keys FILE]`: what a reload from OLD to NEW
// would change, on stdout (also `shardgate check-config FILE`: --check-config).
int check_config_command(int argc, char** argv) {
  std::vector<std::string> files;
  std::string keys_path;
  bool diff = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--diff") {
      diff = true;
    } else if (a == "--keys" || a == "--config" || a == "-c") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shardgate check-config: %s needs a file name\n", argv[i]);
        return exit_usage_or_config;
      }
      if (a == "--keys")
        keys_path = argv[++i];
      else
        files.emplace_back(argv[++i]);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "shardgate check-config: unknown argument '%s' (see --help)\n", argv[i]);
      return exit_usage_or_config;
    } else {
      files.emplace_back(a);
    }
  }
  if (files.size() != (diff ? 2u : 1u) || (!diff && !keys_path.empty())) {
    std::fprintf(stderr, "shardgate check-config: give FILE, or --diff OLD NEW [--keys FILE]\n");
    return exit_usage_or_config;
  }
  std::shared_ptr<const shardgate::config::config> loaded[2];
  for (std::size_t f = 0; f < files.size(); ++f) {
    auto r = shardgate::config::load_file(files[f]);
    if (auto* err = std::get_if<shardgate::config::load_error>(&r)) {
      std::printf("%s\n", err->to_string().c_str());
      return exit_usage_or_config;
    }
    loaded[f] = std::get<std::shared_ptr<const shardgate::config::config>>(r);
  }
  if (!diff) {
    std::printf("%s: OK\n", files[0].c_str());
    return exit_ok;
  }
  shardgate::admin::reload_diff_options options;
  if (!keys_path.empty()) {
    std::ifstream in(keys_path);
    if (!in) {
      std::fprintf(stderr, "shardgate check-config: cannot open %s\n", keys_path.c_str());
      return exit_usage_or_config;
    }
    for (std::string line; std::getline(in, line);) options.extra_keys.push_back(line);
  }
  std::fputs(shardgate::admin::describe_reload(*loaded[0], *loaded[1], options).c_str(), stdout);
  return exit_ok;
}

// `shardgate route ...`: the routing decision for a key or a statement, for operators
// checking a configuration before they deploy it.
int route_command(int argc, char** argv) {
  std::string config_path, schema, table, key, sql;
  bool have_key = false, have_sql = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shardgate route: %s needs a value\n", argv[i]);
        return false;
      }
      out = argv[++i];
      return true;
    };
    bool ok = true;
    if (a == "--config" || a == "-c")
      ok = value(config_path);
    else if (a == "--schema")
      ok = value(schema);
    else if (a == "--table")
      ok = value(table);
    else if (a == "--key")
      ok = have_key = value(key);
    else if (a == "--sql")
      ok = have_sql = value(sql);
    else {
      std::fprintf(stderr, "shardgate route: unknown argument '%s' (see --help)\n", argv[i]);
      return exit_usage_or_config;
    }
    if (!ok) return exit_usage_or_config;
  }
  if (config_path.empty() || have_key == have_sql || (have_key && table.empty())) {
    std::fprintf(stderr,
                 "shardgate route: give --config FILE and either --table T --key VALUE or "
                 "--sql STATEMENT\n");
    return exit_usage_or_config;
  }
  auto cfg = load_config(config_path);
  if (!cfg) return exit_usage_or_config;
  if (schema.empty() && cfg->schemas.size() == 1) schema = cfg->schemas.front().name;
  auto topo = std::make_shared<const shardgate::routing::topology>(cfg);
  shardgate::routing::router router(topo);
  shardgate::routing::route_plan plan;
  if (have_key) {
    std::string lower_schema = shardgate::routing::identifier_lower(schema);
    std::string lower_table = shardgate::routing::identifier_lower(table);
    const auto* sc = cfg->find_schema(lower_schema);
    const auto* t = sc ? sc->find_table(lower_table) : nullptr;
    if (!t) {
      std::printf("table %s.%s is not sharded: every statement goes to cluster %s\n",
                  schema.c_str(), table.c_str(),
                  cfg->clusters[topo->default_cluster(sc)].name.c_str());
      return exit_ok;
    }
    router.route_key(*t, key, plan);
  } else {
    router.route(sql, shardgate::routing::session_view{schema}, plan, true);
  }
  if (plan.action == shardgate::routing::route_action::refuse) {
    std::printf("refused: ERROR %u (%s): %s\n", plan.error.code, plan.error.sql_state.c_str(),
                plan.error.message.c_str());
    return 3;
  }
  std::string clusters;
  for (int c : plan.clusters) clusters += (clusters.empty() ? "" : ", ") + cfg->clusters[c].name;
  const char* how = plan.action == shardgate::routing::route_action::single ? "single shard"
                    : plan.combine == shardgate::routing::route_combine::broadcast
                        ? "fan-out to every copy"
                        : "fan-out";
  std::printf("%s -> %s\nwhy: %s\n", how, clusters.c_str(), plan.reason.c_str());
  if (plan.rewritten)
    for (std::size_t k = 0; k < plan.clusters.size(); ++k)
      std::printf("  %s: %s\n", cfg->clusters[plan.clusters[k]].name.c_str(),
                  plan.texts[k].c_str());
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "route") return route_command(argc, argv);
  if (argc > 1 && std::string_view(argv[1]) == "check-config")
    return check_config_command(argc, argv);
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      print_help();
      return exit_ok;
    } else if (a == "--version" || a == "-V") {
      std::printf("shardgate %s (git %s)\n", shardgate::build_info::version(),
                  shardgate::build_info::git_revision());
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

  auto cfg = load_config(config_path);
  if (!cfg) return exit_usage_or_config;
  if (check_only) {
    // The certificate and key files too (a start would fail on them).
    std::string tls_error;
    if (!shardgate::net::make_tls_set(*cfg, tls_error)) {
      std::fprintf(stderr, "%s: %s\n", config_path.c_str(), tls_error.c_str());
      return exit_usage_or_config;
    }
    std::size_t tables = 0, broadcast = 0;
    for (const auto& sc : cfg->schemas)
      for (const auto& t : sc.tables) ++(t.broadcast ? broadcast : tables);
    std::printf(
        "%s: OK (%zu users, %zu clusters, default cluster %s, %zu sharded tables%s in %zu "
        "schemas)\n",
        config_path.c_str(), cfg->users.size(), cfg->clusters.size(), cfg->default_cluster.c_str(),
        tables,
        broadcast ? (" and " + std::to_string(broadcast) + " broadcast tables").c_str() : "",
        cfg->schemas.size());
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
