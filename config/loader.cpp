#include "config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <sstream>

namespace shardgate::config {

std::string load_error::to_string() const {
  std::ostringstream s;
  s << file;
  if (line > 0) s << ':' << line << ':' << column;
  s << ": " << message;
  return s.str();
}

namespace {

struct failure {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& at, std::string message) {
  throw failure{at.Mark(), std::move(message)};
}

// A mapping node whose keys must all be in `allowed`.
void expect_map(const YAML::Node& node, std::string_view where,
                std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) fail(node, std::string(where) + " must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(kv.first,
           "unknown key '" + key + "' in " + std::string(where) + " (allowed: " + list + ")");
    }
  }
}

std::string scalar(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) fail(node, std::string(what) + " must be a string");
  return node.as<std::string>();
}

std::uint64_t integer(const YAML::Node& node, std::string_view what, std::uint64_t min,
                      std::uint64_t max) {
  if (!node.IsScalar()) fail(node, std::string(what) + " must be an integer");
  const std::string text = node.as<std::string>();
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size())
    fail(node, std::string(what) + " must be an integer, got '" + text + "'");
  if (v < min || v > max)
    fail(node, std::string(what) + " must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + ", got " + text);
  return v;
}

bool boolean(const YAML::Node& node, std::string_view what) {
  bool b = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b))
    fail(node, std::string(what) + " must be true or false");
  return b;
}

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

endpoint parse_endpoint(const YAML::Node& node, std::string_view what) {
  const std::string text = scalar(node, what);
  std::string host, port_text;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      fail(node, std::string(what) + ": '" + text + "' is not host:port ([v6]:port for IPv6)");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (!is_ip_literal(host))
      fail(node, std::string(what) + ": '" + host + "' is not an IPv6 address");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
      fail(node, std::string(what) + ": '" + text + "' has no port (expected host:port)");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (!is_hostname(host))
      fail(node, std::string(what) + ": '" + host + "' is not a valid host name or address");
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
    fail(node, std::string(what) + ": port '" + port_text + "' must be 1-65535");
  return {host, static_cast<std::uint16_t>(port)};
}

std::string secret(const YAML::Node& parent, std::string_view where, bool required) {
  const YAML::Node plain = parent["password"];
  const YAML::Node env = parent["password_env"];
  if (plain && env)
    fail(env, std::string(where) + ": give either password or password_env, not both");
  if (plain) return plain.IsNull() ? std::string() : scalar(plain, "password");
  if (env) {
    const std::string var = scalar(env, "password_env");
    const char* value = std::getenv(var.c_str());
    if (!value) fail(env, std::string(where) + ": environment variable " + var + " is not set");
    return value;
  }
  if (required) fail(parent, std::string(where) + ": password (or password_env) is required");
  return {};
}

void parse_listen(const YAML::Node& n, listen_config& out) {
  expect_map(n, "listen",
             {"address", "port", "workers", "max_client_connections", "max_packet_bytes",
              "server_version", "shutdown_timeout_s", "connect_timeout_s", "write_timeout_s"});
  if (n["address"]) {
    out.address = scalar(n["address"], "listen.address");
    if (!is_ip_literal(out.address))
      fail(n["address"], "listen.address: '" + out.address + "' is not an IP address");
  }
  if (n["port"]) out.port = static_cast<std::uint16_t>(integer(n["port"], "listen.port", 1, 65535));
  if (n["workers"])
    out.workers = static_cast<unsigned>(integer(n["workers"], "listen.workers", 0, 256));
  if (n["max_client_connections"])
    out.max_client_connections = static_cast<std::uint32_t>(
        integer(n["max_client_connections"], "listen.max_client_connections", 1, 10'000'000));
  if (n["max_packet_bytes"])
    out.max_packet_bytes = static_cast<std::uint32_t>(
        integer(n["max_packet_bytes"], "listen.max_packet_bytes", 1024, 1u << 30));
  if (n["server_version"])
    out.server_version = scalar(n["server_version"], "listen.server_version");
  if (n["write_timeout_s"])
    out.write_timeout_s = static_cast<std::uint32_t>(
        integer(n["write_timeout_s"], "listen.write_timeout_s", 1, 86400));
  if (n["connect_timeout_s"])
    out.connect_timeout_s = static_cast<std::uint32_t>(
        integer(n["connect_timeout_s"], "listen.connect_timeout_s", 1, 3600));
  if (n["shutdown_timeout_s"])
    out.shutdown_timeout_s = static_cast<std::uint32_t>(
        integer(n["shutdown_timeout_s"], "listen.shutdown_timeout_s", 0, 3600));
}

void parse_admin(const YAML::Node& n, admin_config& out) {
  expect_map(n, "admin", {"enabled", "address", "port"});
  if (n["enabled"]) out.enabled = boolean(n["enabled"], "admin.enabled");
  if (n["address"]) {
    out.address = scalar(n["address"], "admin.address");
    if (!is_ip_literal(out.address))
      fail(n["address"], "admin.address: '" + out.address + "' is not an IP address");
  }
  if (n["port"]) out.port = static_cast<std::uint16_t>(integer(n["port"], "admin.port", 1, 65535));
}

void parse_users(const YAML::Node& n, std::vector<user_config>& out) {
  if (!n.IsSequence() || n.size() == 0) fail(n, "users must be a non-empty list");
  std::set<std::string> seen;
  for (const auto& u : n) {
    expect_map(u, "a users entry",
               {"name", "password", "password_hash", "password_env", "default_schema"});
    if (!u["name"]) fail(u, "users entry: name is required");
    user_config user;
    user.name = scalar(u["name"], "users.name");
    if (user.name.empty() || user.name.size() > 80)
      fail(u["name"], "users.name must be 1-80 characters");
    if (!seen.insert(user.name).second)
      fail(u["name"], "user '" + user.name + "' is defined twice");
    const std::string where = "user '" + user.name + "'";
    if (u["password_hash"]) {
      if (u["password"] || u["password_env"])
        fail(u["password_hash"], where + ": give one of password, password_hash, password_env");
      auto h = protocol::parse_native_password_hash(scalar(u["password_hash"], "password_hash"));
      if (!h)
        fail(u["password_hash"],
             where +
                 ": password_hash must be '*' followed by 40 hex digits (mysql_native_password)");
      user.password_stage2 = *h;
    } else {
      if (!u["password"] && !u["password_env"])
        fail(u, where + ": one of password, password_hash, password_env is required");
      const std::string pw = secret(u, where, true);
      if (!pw.empty()) user.password_stage2 = protocol::native_password_stage2(pw);
    }
    if (u["default_schema"]) user.default_schema = scalar(u["default_schema"], "default_schema");
    out.push_back(std::move(user));
  }
}

void parse_pool(const YAML::Node& n, pool_settings& out, const std::string& where) {
  expect_map(n, where + ".pool",
             {"max_connections", "min_idle", "idle_timeout_s", "acquire_timeout_ms"});
  if (n["max_connections"])
    out.max_connections = static_cast<std::uint32_t>(
        integer(n["max_connections"], "pool.max_connections", 1, 100000));
  if (n["min_idle"])
    out.min_idle = static_cast<std::uint32_t>(integer(n["min_idle"], "pool.min_idle", 0, 100000));
  if (n["idle_timeout_s"])
    out.idle_timeout_s = static_cast<std::uint32_t>(
        integer(n["idle_timeout_s"], "pool.idle_timeout_s", 1, 86400 * 7));
  if (n["acquire_timeout_ms"])
    out.acquire_timeout_ms = static_cast<std::uint32_t>(
        integer(n["acquire_timeout_ms"], "pool.acquire_timeout_ms", 1, 3'600'000));
  if (out.min_idle > out.max_connections)
    fail(n, where + ".pool: min_idle (" + std::to_string(out.min_idle) +
                ") exceeds max_connections (" + std::to_string(out.max_connections) + ")");
}

void parse_clusters(const YAML::Node& n, std::vector<cluster_config>& out) {
  if (!n.IsMap() || n.size() == 0)
    fail(n, "clusters must be a non-empty mapping of name: {writer: host:port, ...}");
  for (const auto& kv : n) {
    cluster_config c;
    c.name = scalar(kv.first, "cluster name");
    const YAML::Node& v = kv.second;
    const std::string where = "clusters." + c.name;
    if (v.IsMap() && v["readers"])
      fail(v["readers"], where +
                             ".readers: reader endpoints (read/write split) are not supported yet; "
                             "this version sends everything to the writer");
    expect_map(v, where,
               {"writer", "user", "password", "password_env", "pool", "connect_timeout_ms"});
    if (!v["writer"]) fail(v, where + ": writer (host:port) is required");
    c.writer = parse_endpoint(v["writer"], where + ".writer");
    if (!v["user"])
      fail(v, where + ": user is required (the MySQL account ShardGate logs in with)");
    c.user = scalar(v["user"], where + ".user");
    c.password = secret(v, where, false);
    if (v["pool"]) parse_pool(v["pool"], c.pool, where);
    if (v["connect_timeout_ms"])
      c.connect_timeout_ms = static_cast<std::uint32_t>(
          integer(v["connect_timeout_ms"], where + ".connect_timeout_ms", 1, 600000));
    out.push_back(std::move(c));
  }
}

void parse_logging(const YAML::Node& n, logging_config& out) {
  expect_map(n, "logging", {"level"});
  if (n["level"]) {
    out.level = scalar(n["level"], "logging.level");
    static const std::set<std::string> levels{"trace", "debug",    "info", "warn",
                                              "error", "critical", "off"};
    if (!levels.count(out.level))
      fail(n["level"],
           "logging.level must be one of trace, debug, info, warn, error, critical, off");
  }
}

std::shared_ptr<const config> build(const YAML::Node& root, const std::string& source) {
  if (!root.IsDefined() || root.IsNull()) fail(root, "the file is empty");
  expect_map(root, "the top level",
             {"listen", "admin", "users", "clusters", "default_cluster", "logging"});
  auto cfg = std::make_shared<config>();
  cfg->source_path = source;
  if (root["listen"]) parse_listen(root["listen"], cfg->listen);
  if (root["admin"]) parse_admin(root["admin"], cfg->admin);
  if (!root["users"]) fail(root, "users is required (the accounts clients log in with)");
  parse_users(root["users"], cfg->users);
  if (!root["clusters"]) fail(root, "clusters is required");
  parse_clusters(root["clusters"], cfg->clusters);
  if (!root["default_cluster"])
    fail(root, "default_cluster is required (the cluster unsharded statements go to)");
  cfg->default_cluster = scalar(root["default_cluster"], "default_cluster");
  if (!cfg->find_cluster(cfg->default_cluster))
    fail(root["default_cluster"],
         "default_cluster '" + cfg->default_cluster + "' is not defined under clusters");
  if (root["logging"]) parse_logging(root["logging"], cfg->logging);
  if (cfg->admin.enabled && cfg->admin.port == cfg->listen.port &&
      cfg->admin.address == cfg->listen.address) {
    // Point at whichever port was written down (the other one is a default).
    auto written_port = [&]() -> YAML::Node {
      if (const YAML::Node admin = root["admin"])
        if (const YAML::Node port = admin["port"]) return port;
      return root["listen"]["port"];
    };
    fail(written_port(), "admin.port must differ from listen.port");
  }
  return cfg;
}

load_error to_error(const std::string& source, const YAML::Mark& mark, std::string message) {
  load_error e;
  e.file = source;
  if (mark.line >= 0) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.message = std::move(message);
  return e;
}

load_result load_node(const std::string& source, const std::function<YAML::Node()>& parse) {
  try {
    YAML::Node root = parse();
    return build(root, source);
  } catch (const failure& f) {
    return to_error(source, f.mark, f.message);
  } catch (const YAML::Exception& e) {
    return to_error(source, e.mark, e.msg);
  }
}

}  // namespace

load_result load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return load_error{path, 0, 0, "cannot open the file"};
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path);
}

load_result load_string(const std::string& yaml_text, const std::string& source_name) {
  return load_node(source_name, [&] { return YAML::Load(yaml_text); });
}

}  // namespace shardgate::config
