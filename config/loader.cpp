#include "config/loader.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "routing/dates.hpp"

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

// A decimal number (1, 0.5, 2.5e3) in (0, max]; max is a whole number.
double positive_number(const YAML::Node& node, std::string_view what, double max) {
  if (!node.IsScalar()) fail(node, std::string(what) + " must be a number");
  const std::string text = node.as<std::string>();
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v))
    fail(node, std::string(what) + " must be a number, got '" + text + "'");
  if (!(v > 0) || v > max)
    fail(node, std::string(what) + " must be above 0 and at most " +
                   std::to_string(static_cast<std::uint64_t>(max)) + ", got " + text);
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

// A path as written, made relative to the config file's directory unless absolute.
std::string relative_to_config(const YAML::Node& node, std::string_view what,
                               const std::string& source) {
  std::string path = scalar(node, what);
  if (path.empty()) fail(node, std::string(what) + " must not be empty");
  if (path.front() != '/') {
    const auto slash = source.rfind('/');
    if (slash != std::string::npos) path = source.substr(0, slash + 1) + path;
  }
  return path;
}

void parse_failed_logins(const YAML::Node& n, failed_login_config& out) {
  const std::string w = "listen.failed_logins";
  expect_map(n, w, {"max_failures", "window_s", "block_s"});
  if (n["max_failures"])
    out.max_failures =
        static_cast<std::uint32_t>(integer(n["max_failures"], w + ".max_failures", 0, 1'000'000));
  if (n["window_s"])
    out.window_s = static_cast<std::uint32_t>(integer(n["window_s"], w + ".window_s", 1, 86400));
  if (n["block_s"])
    out.block_s = static_cast<std::uint32_t>(integer(n["block_s"], w + ".block_s", 1, 86400 * 7));
}

void parse_listen(const YAML::Node& n, listen_config& out) {
  expect_map(
      n, "listen",
      {"address", "port", "workers", "max_client_connections", "max_packet_bytes", "server_version",
       "shutdown_timeout_s", "connect_timeout_s", "write_timeout_s", "failed_logins"});
  if (n["failed_logins"]) parse_failed_logins(n["failed_logins"], out.failed_logins);
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
  expect_map(n, "admin", {"enabled", "address", "port", "metrics"});
  if (n["enabled"]) out.enabled = boolean(n["enabled"], "admin.enabled");
  if (n["metrics"]) out.metrics = boolean(n["metrics"], "admin.metrics");
  if (n["address"]) {
    out.address = scalar(n["address"], "admin.address");
    if (!is_ip_literal(out.address))
      fail(n["address"], "admin.address: '" + out.address + "' is not an IP address");
  }
  if (n["port"]) out.port = static_cast<std::uint16_t>(integer(n["port"], "admin.port", 1, 65535));
}

// A token bucket: {<rate_key>: N, burst: N[, max_wait_ms: N]}. Without burst: a tenth of
// a second's worth (at least 1).
void parse_rate_limit(const YAML::Node& n, const std::string& w, const char* rate_key,
                      bool with_wait, rate_limit_config& out) {
  if (with_wait) {
    expect_map(n, w, {rate_key, "burst", "max_wait_ms"});
  } else {
    if (n.IsMap() && n["max_wait_ms"])
      fail(n["max_wait_ms"], w + ".max_wait_ms does not apply: a login over the limit is "
                                 "refused at once");
    expect_map(n, w, {rate_key, "burst"});
  }
  if (!n[rate_key])
    fail(n, w + ": " + rate_key + " is required (e.g. {" + rate_key + ": 100, burst: 20})");
  out.per_second = positive_number(n[rate_key], w + "." + rate_key, 1e9);
  if (n["burst"]) {
    out.burst = static_cast<std::uint32_t>(integer(n["burst"], w + ".burst", 1, 1'000'000'000));
  } else {
    out.burst = static_cast<std::uint32_t>(std::max(1.0, std::round(out.per_second / 10)));
  }
  if (with_wait && n["max_wait_ms"])
    out.max_wait_ms =
        static_cast<std::uint32_t>(integer(n["max_wait_ms"], w + ".max_wait_ms", 0, 3'600'000));
}

void parse_user_limits(const YAML::Node& u, user_config& user) {
  const std::string w = "users." + user.name;
  if (u["rate_limit"])
    parse_rate_limit(u["rate_limit"], w + ".rate_limit", "queries_per_second", true,
                     user.rate_limit);
  if (u["client_ip_rate_limit"])
    parse_rate_limit(u["client_ip_rate_limit"], w + ".client_ip_rate_limit", "queries_per_second",
                     true, user.client_ip_rate_limit);
  if (u["connection_rate_limit"])
    parse_rate_limit(u["connection_rate_limit"], w + ".connection_rate_limit",
                     "connections_per_second", false, user.connection_rate_limit);
  if (u["max_connections"])
    user.max_connections = static_cast<std::uint32_t>(
        integer(u["max_connections"], w + ".max_connections", 0, 10'000'000));
}

void parse_users(const YAML::Node& n, std::vector<user_config>& out) {
  if (!n.IsSequence() || n.size() == 0) fail(n, "users must be a non-empty list");
  std::set<std::string> seen;
  for (const auto& u : n) {
    expect_map(u, "a users entry",
               {"name", "password", "password_hash", "password_env", "default_schema", "rate_limit",
                "client_ip_rate_limit", "max_connections", "connection_rate_limit"});
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
    parse_user_limits(u, user);
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

void parse_circuit_breaker(const YAML::Node& n, circuit_breaker_config& out,
                           const std::string& where) {
  const std::string w = where + ".circuit_breaker";
  expect_map(n, w, {"enabled", "window", "failure_rate", "open_s", "half_open_probes"});
  if (n["enabled"]) out.enabled = boolean(n["enabled"], w + ".enabled");
  if (n["window"])
    out.window = static_cast<std::uint32_t>(integer(n["window"], w + ".window", 1, 64));
  if (n["failure_rate"]) {
    const YAML::Node& r = n["failure_rate"];
    double v = -1;
    if (!r.IsScalar() || !YAML::convert<double>::decode(r, v) || !(v > 0.0 && v <= 1.0))
      fail(r, w + ".failure_rate must be a number above 0 and at most 1 (0.5 = half the calls)");
    out.failure_rate = v;
  }
  if (n["open_s"])
    out.open_s = static_cast<std::uint32_t>(integer(n["open_s"], w + ".open_s", 1, 3600));
  if (n["half_open_probes"])
    out.half_open_probes =
        static_cast<std::uint32_t>(integer(n["half_open_probes"], w + ".half_open_probes", 1, 64));
}

void parse_readers(const YAML::Node& n, cluster_config& c, const std::string& where) {
  const std::string w = where + ".readers";
  if (!n.IsSequence())
    fail(n, w + " must be a list of host:port (or {endpoint: host:port, weight: N})");
  for (const auto& item : n) {
    reader_config r;
    if (item.IsMap()) {
      expect_map(item, w + " entry", {"endpoint", "weight"});
      if (!item["endpoint"]) fail(item, w + " entry: endpoint (host:port) is required");
      r.address = parse_endpoint(item["endpoint"], w + ".endpoint");
      if (item["weight"])
        r.weight = static_cast<std::uint32_t>(integer(item["weight"], w + ".weight", 0, 1000));
    } else {
      r.address = parse_endpoint(item, w);
    }
    if (r.address == c.writer)
      fail(item, w + ": " + r.address.to_string() + " is the writer; list each endpoint once");
    for (const auto& other : c.readers)
      if (other.address == r.address)
        fail(item, w + ": " + r.address.to_string() + " is listed twice");
    c.readers.push_back(std::move(r));
  }
}

void parse_health(const YAML::Node& n, health_config& out, const std::string& where) {
  const std::string w = where + ".health";
  expect_map(n, w, {"interval_ms", "timeout_ms", "writer_check", "lag_check", "heartbeat_table"});
  if (n["interval_ms"])
    out.interval_ms =
        static_cast<std::uint32_t>(integer(n["interval_ms"], w + ".interval_ms", 50, 3'600'000));
  if (n["timeout_ms"])
    out.timeout_ms =
        static_cast<std::uint32_t>(integer(n["timeout_ms"], w + ".timeout_ms", 10, 600'000));
  if (n["writer_check"]) {
    const std::string k = scalar(n["writer_check"], w + ".writer_check");
    if (k == "read_only")
      out.writer_check = writer_check_kind::read_only;
    else if (k == "aurora_replica_status")
      out.writer_check = writer_check_kind::aurora_replica_status;
    else if (k == "none")
      out.writer_check = writer_check_kind::none;
    else
      fail(n["writer_check"],
           w + ".writer_check: '" + k + "' is not one of read_only, aurora_replica_status, none");
  }
  if (n["lag_check"]) {
    const std::string k = scalar(n["lag_check"], w + ".lag_check");
    if (k == "replication_status")
      out.lag_check = lag_check_kind::replication_status;
    else if (k == "heartbeat")
      out.lag_check = lag_check_kind::heartbeat;
    else if (k == "none")
      out.lag_check = lag_check_kind::none;
    else
      fail(n["lag_check"],
           w + ".lag_check: '" + k + "' is not one of replication_status, heartbeat, none");
  }
  if (n["heartbeat_table"]) {
    out.heartbeat_table = scalar(n["heartbeat_table"], w + ".heartbeat_table");
    const auto dot = out.heartbeat_table.find('.');
    auto plain = [](std::string_view part) {
      return !part.empty() && std::all_of(part.begin(), part.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
      });
    };
    if (dot == std::string::npos || !plain(std::string_view(out.heartbeat_table).substr(0, dot)) ||
        !plain(std::string_view(out.heartbeat_table).substr(dot + 1)))
      fail(n["heartbeat_table"], w + ".heartbeat_table: '" + out.heartbeat_table +
                                     "' must be schema.table (letters, digits, _)");
  }
  if (out.lag_check == lag_check_kind::heartbeat && out.heartbeat_table.empty())
    fail(n, w + ": lag_check heartbeat needs heartbeat_table (schema.table)");
  if (out.lag_check != lag_check_kind::heartbeat && !out.heartbeat_table.empty())
    fail(n["heartbeat_table"], w + ".heartbeat_table is used by lag_check: heartbeat only");
}

void parse_clusters(const YAML::Node& n, std::vector<cluster_config>& out) {
  if (!n.IsMap() || n.size() == 0)
    fail(n, "clusters must be a non-empty mapping of name: {writer: host:port, ...}");
  for (const auto& kv : n) {
    cluster_config c;
    c.name = scalar(kv.first, "cluster name");
    const YAML::Node& v = kv.second;
    const std::string where = "clusters." + c.name;
    expect_map(
        v, where,
        {"writer", "readers", "user", "password", "password_env", "pool", "connect_timeout_ms",
         "read_timeout_ms", "circuit_breaker", "health", "max_replica_lag_ms"});
    if (!v["writer"]) fail(v, where + ": writer (host:port) is required");
    c.writer = parse_endpoint(v["writer"], where + ".writer");
    if (!v["user"])
      fail(v, where + ": user is required (the MySQL account ShardGate logs in with)");
    c.user = scalar(v["user"], where + ".user");
    c.password = secret(v, where, false);
    if (v["pool"]) parse_pool(v["pool"], c.pool, where);
    if (v["circuit_breaker"]) parse_circuit_breaker(v["circuit_breaker"], c.circuit_breaker, where);
    if (v["readers"]) parse_readers(v["readers"], c, where);
    if (v["health"]) parse_health(v["health"], c.health, where);
    if (v["max_replica_lag_ms"])
      c.max_replica_lag_ms = static_cast<std::uint32_t>(
          integer(v["max_replica_lag_ms"], where + ".max_replica_lag_ms", 0, 86'400'000));
    if (c.max_replica_lag_ms > 0 && c.health.lag_check == lag_check_kind::none &&
        c.health.writer_check != writer_check_kind::aurora_replica_status)
      fail(v["max_replica_lag_ms"],
           where + ".max_replica_lag_ms needs a lag measurement: health.lag_check is none");
    const bool aurora = c.health.writer_check == writer_check_kind::aurora_replica_status;
    if (c.max_replica_lag_ms > 0 && !aurora &&
        c.health.lag_check == lag_check_kind::replication_status && c.max_replica_lag_ms < 1000)
      fail(v["max_replica_lag_ms"],
           where +
               ".max_replica_lag_ms: replication_status measures lag in whole seconds; "
               "use 1000 or more, or health.lag_check: heartbeat");
    if (c.max_replica_lag_ms > 0 && !aurora && c.health.lag_check == lag_check_kind::heartbeat &&
        c.max_replica_lag_ms <= c.health.interval_ms)
      fail(v["max_replica_lag_ms"],
           where +
               ".max_replica_lag_ms must exceed health.interval_ms with lag_check: heartbeat "
               "(the heartbeat row is up to one interval old without any lag)");
    if (v["connect_timeout_ms"])
      c.connect_timeout_ms = static_cast<std::uint32_t>(
          integer(v["connect_timeout_ms"], where + ".connect_timeout_ms", 1, 600000));
    if (v["read_timeout_ms"])
      c.read_timeout_ms = static_cast<std::uint32_t>(
          integer(v["read_timeout_ms"], where + ".read_timeout_ms", 0, 86'400'000));
    out.push_back(std::move(c));
  }
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::vector<std::string> cluster_list(const YAML::Node& n, const std::string& what,
                                      const std::vector<cluster_config>& clusters) {
  if (!n.IsSequence() || n.size() == 0) fail(n, what + " must be a non-empty list of clusters");
  std::vector<std::string> out;
  for (const auto& item : n) {
    std::string name = scalar(item, what);
    if (std::none_of(clusters.begin(), clusters.end(),
                     [&](const cluster_config& c) { return c.name == name; }))
      fail(item, what + ": cluster '" + name + "' is not defined under clusters");
    if (std::find(out.begin(), out.end(), name) != out.end())
      fail(item, what + ": cluster '" + name + "' is listed twice");
    out.push_back(std::move(name));
  }
  return out;
}

std::int32_t date_value(const YAML::Node& n, const std::string& what) {
  const std::string text = scalar(n, what);
  auto d = routing::parse_date(text);
  if (!d) fail(n, what + ": '" + text + "' is not a date (YYYY-MM-DD)");
  return *d;
}

void parse_key(const YAML::Node& n, shard_key_config& out, const std::string& where) {
  std::string kind;
  if (n.IsScalar()) {
    kind = n.as<std::string>();
  } else {
    expect_map(n, where + ".key", {"kind", "pattern", "case_sensitive"});
    if (!n["kind"]) fail(n, where + ".key: kind is required (integer, string, date, order_number)");
    kind = scalar(n["kind"], where + ".key.kind");
    if (n["case_sensitive"]) out.case_sensitive = boolean(n["case_sensitive"], "case_sensitive");
  }
  if (kind == "integer")
    out.kind = key_kind::integer;
  else if (kind == "string")
    out.kind = key_kind::string;
  else if (kind == "date")
    out.kind = key_kind::date;
  else if (kind == "order_number")
    out.kind = key_kind::order_number;
  else
    fail(n.IsScalar() ? n : n["kind"],
         where + ".key.kind must be integer, string, date or order_number, got '" + kind + "'");
  const bool has_pattern = n.IsMap() && n["pattern"];
  if (out.kind == key_kind::order_number) {
    if (!has_pattern)
      fail(n, where +
                  ".key: an order_number key needs a pattern with named parts date and/or seq, "
                  "e.g. '^ORD(?<date>\\d{8})(?<seq>\\d{8})$'");
    const std::string text = scalar(n["pattern"], where + ".key.pattern");
    std::string error;
    out.pattern = routing::key_pattern::compile(text, error);
    if (!out.pattern) fail(n["pattern"], where + ".key.pattern: " + error);
    if (!out.pattern->has_date() && !out.pattern->has_seq())
      fail(n["pattern"],
           where + ".key.pattern: name at least one part: (?<date>...) or (?<seq>...)");
  } else if (has_pattern) {
    fail(n["pattern"], where + ".key.pattern applies to kind order_number only");
  }
}

// "a-b" or a single number.
std::pair<std::uint32_t, std::uint32_t> bucket_span(const YAML::Node& n, const std::string& what,
                                                    std::uint32_t count) {
  const std::string text = scalar(n, what);
  auto parse = [&](std::string_view t) {
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || t.empty())
      fail(n, what + ": '" + text + "' is not a bucket number or range like 0-15");
    return v;
  };
  auto dash = text.find('-');
  std::uint32_t a = 0, b = 0;
  if (dash == std::string::npos) {
    a = b = parse(text);
  } else {
    a = parse(std::string_view(text).substr(0, dash));
    b = parse(std::string_view(text).substr(dash + 1));
  }
  if (a > b || b >= count)
    fail(n, what + ": '" + text + "' is outside buckets 0-" + std::to_string(count - 1));
  return {a, b};
}

void parse_strategy(const YAML::Node& n, table_config& t, const std::string& where,
                    const config& cfg) {
  const std::string w = where + ".strategy";
  expect_map(n, w, {"kind", "function", "shards", "buckets", "bucket_map", "ranges", "lookup"});
  if (!n["kind"]) fail(n, w + ": kind is required (hash, range or directory)");
  const std::string kind = scalar(n["kind"], w + ".kind");
  strategy_config& s = t.strategy;
  auto only = [&](std::initializer_list<const char*> keys, const char* for_kind) {
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      if (key == "kind") continue;
      if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; }))
        fail(kv.first, w + "." + key + " does not apply to kind " + for_kind);
    }
  };
  if (kind == "hash") {
    s.kind = strategy_kind::hash;
    only({"function", "shards", "buckets", "bucket_map"}, "hash");
    const std::string fn = n["function"] ? scalar(n["function"], w + ".function") : "modulo";
    if (fn == "modulo")
      s.function = hash_function::modulo;
    else if (fn == "crc32")
      s.function = hash_function::crc32;
    else if (fn == "xxhash64")
      s.function = hash_function::xxhash64;
    else
      fail(n["function"], w + ".function must be modulo, crc32 or xxhash64, got '" + fn + "'");
    if (s.function == hash_function::modulo) {
      const bool ok = t.key.kind == key_kind::integer ||
                      (t.key.kind == key_kind::order_number && t.key.pattern->has_seq());
      if (!ok)
        fail(n["function"] ? n["function"] : n,
             w +
                 ": function modulo needs an integer key or an order_number key with a seq part "
                 "(use crc32 or xxhash64 for " +
                 key_kind_name(t.key.kind) + " keys)");
    }
    if (!n["shards"]) fail(n, w + ": shards (the list of clusters) is required");
    s.shards = cluster_list(n["shards"], w + ".shards", cfg.clusters);
    if (n["buckets"]) {
      s.buckets = static_cast<std::uint32_t>(integer(n["buckets"], w + ".buckets", 1, 1u << 20));
      if (s.buckets < s.shards.size())
        fail(n["buckets"], w + ".buckets must be at least the number of shards");
      s.bucket_shard.assign(s.buckets, UINT32_MAX);
      if (n["bucket_map"]) {
        const YAML::Node m = n["bucket_map"];
        if (!m.IsMap()) fail(m, w + ".bucket_map must map cluster: [bucket ranges like 0-15]");
        for (const auto& kv : m) {
          const std::string cluster = scalar(kv.first, "bucket_map cluster");
          auto it = std::find(s.shards.begin(), s.shards.end(), cluster);
          if (it == s.shards.end())
            fail(kv.first, w + ".bucket_map: '" + cluster + "' is not in shards");
          const auto index = static_cast<std::uint32_t>(it - s.shards.begin());
          if (!kv.second.IsSequence())
            fail(kv.second, w + ".bucket_map." + cluster + " must be a list of bucket ranges");
          for (const auto& span : kv.second) {
            auto [a, b] = bucket_span(span, w + ".bucket_map." + cluster, s.buckets);
            for (auto i = a; i <= b; ++i) {
              if (s.bucket_shard[i] != UINT32_MAX)
                fail(span, w + ".bucket_map: bucket " + std::to_string(i) + " is mapped twice");
              s.bucket_shard[i] = index;
            }
          }
        }
        for (std::uint32_t i = 0; i < s.buckets; ++i)
          if (s.bucket_shard[i] == UINT32_MAX)
            fail(m, w + ".bucket_map: bucket " + std::to_string(i) + " is not mapped to a shard");
      } else {
        // Contiguous runs: bucket b belongs to shard b * N / buckets.
        for (std::uint32_t i = 0; i < s.buckets; ++i)
          s.bucket_shard[i] =
              static_cast<std::uint32_t>(std::uint64_t(i) * s.shards.size() / s.buckets);
      }
    } else if (n["bucket_map"]) {
      fail(n["bucket_map"], w + ".bucket_map needs buckets (the number of virtual buckets)");
    }
  } else if (kind == "range") {
    s.kind = strategy_kind::range;
    only({"ranges"}, "range");
    const YAML::Node r = n["ranges"];
    if (!r || !r.IsSequence() || r.size() == 0)
      fail(r ? r : n, w + ".ranges must be a non-empty list of {below: VALUE, cluster: NAME}");
    for (std::size_t i = 0; i < r.size(); ++i) {
      const YAML::Node e = r[i];
      expect_map(e, w + ".ranges entry", {"below", "cluster"});
      range_config rc;
      if (!e["cluster"]) fail(e, w + ".ranges entry: cluster is required");
      rc.cluster = scalar(e["cluster"], "cluster");
      if (!cfg.find_cluster(rc.cluster))
        fail(e["cluster"],
             w + ".ranges: cluster '" + rc.cluster + "' is not defined under clusters");
      if (!e["below"]) {
        if (i + 1 != r.size())
          fail(e, w + ".ranges: only the last range may leave out below (it takes the rest)");
        rc.unbounded = true;
      } else {
        const YAML::Node b = e["below"];
        switch (t.key.kind) {
          case key_kind::integer: {
            const std::string text = scalar(b, "below");
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc() || p != text.data() + text.size())
              fail(b,
                   w + ".ranges: below must be an integer for an integer key, got '" + text + "'");
            rc.below_int = v;
            break;
          }
          case key_kind::date:
          case key_kind::order_number:
            if (t.key.kind == key_kind::order_number && !t.key.pattern->has_date())
              fail(b,
                   w + ": a range over an order_number key uses its date part; the pattern has no "
                       "(?<date>...)");
            rc.below_int = date_value(b, w + ".ranges.below");
            break;
          case key_kind::string:
            rc.below_text = scalar(b, "below");
            if (!t.key.case_sensitive) rc.below_text = lower(rc.below_text);
            break;
        }
        if (!s.ranges.empty()) {
          const auto& prev = s.ranges.back();
          const bool ascending = t.key.kind == key_kind::string ? prev.below_text < rc.below_text
                                                                : prev.below_int < rc.below_int;
          if (!ascending) fail(b, w + ".ranges must be in ascending order of below");
        }
      }
      s.ranges.push_back(std::move(rc));
    }
  } else if (kind == "directory") {
    s.kind = strategy_kind::directory;
    only({"lookup"}, "directory");
    if (!n["lookup"]) fail(n, w + ": lookup (a name under lookups) is required");
    s.lookup = scalar(n["lookup"], w + ".lookup");
    if (!cfg.find_lookup(s.lookup))
      fail(n["lookup"], w + ".lookup: '" + s.lookup + "' is not defined under lookups");
  } else {
    fail(n["kind"], w + ".kind must be hash, range or directory, got '" + kind + "'");
  }
}

void parse_lookups(const YAML::Node& n, config& cfg) {
  if (!n.IsMap()) fail(n, "lookups must be a mapping of name: {entries: {key: cluster}}");
  for (const auto& kv : n) {
    lookup_config l;
    l.name = scalar(kv.first, "lookup name");
    const std::string where = "lookups." + l.name;
    const YAML::Node& v = kv.second;
    if (v.IsMap() && (v["cluster"] || v["table"]))
      fail(v["cluster"] ? v["cluster"] : v["table"],
           where +
               ": a database-backed directory is not supported yet; seed the directory "
               "with entries: {key: cluster}");
    expect_map(v, where, {"entries"});
    if (v["entries"]) {
      if (!v["entries"].IsMap()) fail(v["entries"], where + ".entries must map key: cluster");
      for (const auto& e : v["entries"]) {
        std::string key = scalar(e.first, "directory key");
        std::string cluster = scalar(e.second, "directory cluster");
        if (!cfg.find_cluster(cluster))
          fail(e.second, where + ": cluster '" + cluster + "' is not defined under clusters");
        l.entries.emplace_back(std::move(key), std::move(cluster));
      }
    }
    cfg.lookups.push_back(std::move(l));
  }
}

void parse_table(const std::string& name, const YAML::Node& v, const std::string& where,
                 table_config& t, const config& cfg) {
  t.name = lower(name);
  t.line = v.Mark().line + 1;
  expect_map(v, where,
             {"shard_key", "key", "strategy", "generations", "same_as", "keyless_writes",
              "broadcast", "clusters"});
  if (v["broadcast"]) t.broadcast = boolean(v["broadcast"], where + ".broadcast");
  if (t.broadcast) {
    // Copied whole to every cluster: nothing places its rows.
    for (const char* k : {"shard_key", "key", "strategy", "generations"})
      if (v[k])
        fail(v[k], where + "." + k +
                       ": a broadcast table (broadcast: true) is copied whole to each of its "
                       "clusters; it has no shard key, key or strategy");
    if (v["same_as"])
      fail(v["same_as"], where +
                             ".same_as: a broadcast table (broadcast: true) cannot follow the "
                             "placement of another table");
    if (v["keyless_writes"])
      fail(v["keyless_writes"], where +
                                    ".keyless_writes: writes to a broadcast table always run on "
                                    "every copy; keyless_writes does not apply");
    // Without `clusters` the copies are chosen once every table of the schema is read.
    if (v["clusters"]) t.copies = cluster_list(v["clusters"], where + ".clusters", cfg.clusters);
    return;
  }
  if (v["clusters"])
    fail(v["clusters"], where +
                            ".clusters applies to broadcast tables (broadcast: true) only; a "
                            "sharded table lists its clusters under strategy");
  if (!v["shard_key"])
    fail(v, where +
                ": shard_key (the column) is required (or broadcast: true for a table "
                "copied to every shard)");
  t.shard_key = lower(scalar(v["shard_key"], where + ".shard_key"));
  if (v["keyless_writes"]) {
    const std::string k = scalar(v["keyless_writes"], where + ".keyless_writes");
    if (k == "reject")
      t.keyless = keyless_writes::reject;
    else if (k == "all_shards")
      t.keyless = keyless_writes::all_shards;
    else
      fail(v["keyless_writes"], where + ".keyless_writes must be reject or all_shards");
  }
  if (v["same_as"]) {
    t.same_as = scalar(v["same_as"], where + ".same_as");
    for (const char* k : {"key", "strategy", "generations"})
      if (v[k])
        fail(v[k],
             where + "." + k + ": a same_as table takes its placement from '" + t.same_as + "'");
    return;  // resolved once all tables are read
  }
  if (v["key"]) parse_key(v["key"], t.key, where);
  if (!v["strategy"]) fail(v, where + ": strategy (or same_as) is required");
  parse_strategy(v["strategy"], t, where, cfg);
  if (v["generations"]) {
    const YAML::Node g = v["generations"];
    const bool dated = t.key.kind == key_kind::date ||
                       (t.key.kind == key_kind::order_number && t.key.pattern->has_date());
    if (t.strategy.kind != strategy_kind::hash)
      fail(g, where + ".generations apply to hash strategies only");
    if (!dated)
      fail(g, where +
                  ".generations need a key that carries a date (order_number with a date part, or "
                  "date)");
    if (!g.IsSequence() || g.size() == 0) fail(g, where + ".generations must be a non-empty list");
    for (const auto& e : g) {
      expect_map(e, where + ".generations entry", {"since", "shards"});
      if (!e["since"] || !e["shards"]) fail(e, where + ".generations entry needs since and shards");
      generation_config gen;
      gen.since = date_value(e["since"], where + ".generations.since");
      gen.shards = cluster_list(e["shards"], where + ".generations.shards", cfg.clusters);
      if (t.strategy.buckets && gen.shards.size() > t.strategy.buckets)
        fail(e["shards"], where + ".generations: more shards than buckets");
      if (!t.generations.empty() && t.generations.back().since >= gen.since)
        fail(e["since"], where + ".generations must be in ascending order of since");
      t.generations.push_back(std::move(gen));
    }
    if (t.strategy.buckets && t.strategy.bucket_shard.size() && v["strategy"]["bucket_map"])
      fail(v["strategy"]["bucket_map"], where +
                                            ": bucket_map cannot be combined with generations "
                                            "(each generation splits its buckets evenly)");
  }
}

// Broadcast tables without `clusters`: a copy on every cluster a sharded table of the
// schema uses (every strategy, every generation) and on the schema's default cluster, in
// the order of the clusters section.
void default_copies(schema_config& sc, const config& cfg) {
  std::vector<bool> used(cfg.clusters.size(), false);
  auto use = [&](const std::string& name) {
    const int c = cfg.cluster_index(name);
    if (c >= 0) used[static_cast<std::size_t>(c)] = true;
  };
  use(sc.default_cluster);
  for (const auto& t : sc.tables) {
    if (t.broadcast) continue;
    for (const auto& name : t.strategy.shards) use(name);
    for (const auto& r : t.strategy.ranges) use(r.cluster);
    if (!t.strategy.lookup.empty())
      if (const auto* l = cfg.find_lookup(t.strategy.lookup))
        for (const auto& e : l->entries) use(e.second);
    for (const auto& g : t.generations)
      for (const auto& name : g.shards) use(name);
  }
  for (auto& t : sc.tables) {
    if (!t.broadcast || !t.copies.empty()) continue;
    for (std::size_t c = 0; c < cfg.clusters.size(); ++c)
      if (used[c]) t.copies.push_back(cfg.clusters[c].name);
  }
}

void parse_schemas(const YAML::Node& n, config& cfg) {
  if (!n.IsMap()) fail(n, "schemas must be a mapping of schema name: {default_cluster, tables}");
  for (const auto& kv : n) {
    schema_config sc;
    sc.name = lower(scalar(kv.first, "schema name"));
    const std::string where = "schemas." + sc.name;
    if (cfg.find_schema(sc.name))
      fail(kv.first, where + " is defined twice (names are case-insensitive)");
    const YAML::Node& v = kv.second;
    expect_map(v, where, {"default_cluster", "tables"});
    sc.default_cluster = cfg.default_cluster;
    if (v["default_cluster"]) {
      sc.default_cluster = scalar(v["default_cluster"], where + ".default_cluster");
      if (!cfg.find_cluster(sc.default_cluster))
        fail(v["default_cluster"], where + ".default_cluster: '" + sc.default_cluster +
                                       "' is not defined under clusters");
    }
    std::vector<YAML::Node> same_as_nodes;
    if (v["tables"]) {
      if (!v["tables"].IsMap())
        fail(v["tables"], where + ".tables must be a mapping of table: {...}");
      for (const auto& tkv : v["tables"]) {
        const std::string tname = scalar(tkv.first, "table name");
        table_config t;
        parse_table(tname, tkv.second, where + ".tables." + tname, t, cfg);
        if (sc.find_table(t.name))
          fail(tkv.first,
               where + ".tables." + tname + " is defined twice (names are case-insensitive)");
        same_as_nodes.push_back(tkv.second["same_as"]);
        sc.tables.push_back(std::move(t));
      }
    }
    // Resolve same_as: copy the placement of the table named (which must have its own).
    for (std::size_t i = 0; i < sc.tables.size(); ++i) {
      table_config& t = sc.tables[i];
      if (t.same_as.empty()) {
        t.colocation = t.name;
        continue;
      }
      const table_config* target = sc.find_table(lower(t.same_as));
      if (!target)
        fail(same_as_nodes[i], where + ".tables." + t.name + ".same_as: table '" + t.same_as +
                                   "' is not defined in schema " + sc.name);
      if (target->broadcast)
        fail(same_as_nodes[i], where + ".tables." + t.name + ".same_as: '" + t.same_as +
                                   "' is a broadcast table (copied to every cluster); same_as "
                                   "names a sharded table");
      if (!target->same_as.empty())
        fail(same_as_nodes[i], where + ".tables." + t.name + ".same_as: '" + t.same_as +
                                   "' is itself same_as '" + target->same_as +
                                   "'; name that table");
      t.key = target->key;
      t.strategy = target->strategy;
      t.generations = target->generations;
      t.colocation = target->name;
    }
    default_copies(sc, cfg);
    cfg.schemas.push_back(std::move(sc));
  }
}

void parse_routing(const YAML::Node& n, routing_config& out) {
  expect_map(
      n, "routing",
      {"scatter_timeout_ms", "merge_max_rows", "reads", "read_your_writes_ms", "max_execution_ms"});
  if (n["max_execution_ms"])
    out.max_execution_ms = static_cast<std::uint32_t>(
        integer(n["max_execution_ms"], "routing.max_execution_ms", 0, 86'400'000));
  if (n["reads"]) {
    const std::string r = scalar(n["reads"], "routing.reads");
    if (r == "readers")
      out.reads_to_readers = true;
    else if (r == "writer")
      out.reads_to_readers = false;
    else
      fail(n["reads"], "routing.reads: '" + r + "' is not one of readers, writer");
  }
  if (n["read_your_writes_ms"])
    out.read_your_writes_ms = static_cast<std::uint32_t>(
        integer(n["read_your_writes_ms"], "routing.read_your_writes_ms", 0, 3'600'000));
  if (n["scatter_timeout_ms"])
    out.scatter_timeout_ms = static_cast<std::uint32_t>(
        integer(n["scatter_timeout_ms"], "routing.scatter_timeout_ms", 0, 86'400'000));
  if (n["merge_max_rows"])
    out.merge_max_rows = static_cast<std::uint32_t>(
        integer(n["merge_max_rows"], "routing.merge_max_rows", 1, 1'000'000'000));
}

void parse_transactions(const YAML::Node& n, transactions_config& out, const std::string& source) {
  expect_map(n, "transactions", {"cross_shard", "xa_log", "xa_name", "xa_recovery_interval_s"});
  if (n["cross_shard"]) {
    const std::string mode = scalar(n["cross_shard"], "transactions.cross_shard");
    if (mode == "reject") {
      out.cross_shard = cross_shard_mode::reject;
    } else if (mode == "best_effort") {
      out.cross_shard = cross_shard_mode::best_effort;
    } else if (mode == "xa") {
      out.cross_shard = cross_shard_mode::xa;
    } else {
      fail(n["cross_shard"], "transactions.cross_shard must be reject, best_effort or xa");
    }
  }
  if (n["xa_log"]) out.xa_log = relative_to_config(n["xa_log"], "transactions.xa_log", source);
  if (n["xa_name"]) {
    out.xa_name = scalar(n["xa_name"], "transactions.xa_name");
    const bool valid = !out.xa_name.empty() && out.xa_name.size() <= 24 &&
                       std::all_of(out.xa_name.begin(), out.xa_name.end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '_';
                       });
    if (!valid)
      fail(n["xa_name"], "transactions.xa_name must be 1-24 characters of A-Z, a-z, 0-9 and _");
  }
  if (n["xa_recovery_interval_s"])
    out.xa_recovery_interval_s = static_cast<std::uint32_t>(
        integer(n["xa_recovery_interval_s"], "transactions.xa_recovery_interval_s", 1, 3600));
  if (out.cross_shard == cross_shard_mode::xa && !n["xa_name"])
    fail(n["cross_shard"],
         "transactions.cross_shard: xa needs transactions.xa_name, this instance's name in its "
         "XA transaction ids: every ShardGate instance in front of the same shards needs its own "
         "(recovery resolves only its own transactions)");
  if (out.cross_shard == cross_shard_mode::xa && out.xa_log.empty())
    fail(n["cross_shard"],
         "transactions.cross_shard: xa needs transactions.xa_log, the file where commit "
         "decisions are recorded before any shard commits (on durable storage, one per "
         "ShardGate instance)");
}

void parse_logging(const YAML::Node& n, logging_config& out, const std::string& source) {
  expect_map(n, "logging", {"level", "slow_query_ms", "slow_log", "query_stats_size"});
  if (n["slow_query_ms"])
    out.slow_query_ms = static_cast<std::uint32_t>(
        integer(n["slow_query_ms"], "logging.slow_query_ms", 0, 86'400'000));
  if (n["slow_log"]) {
    if (n["slow_log"].IsScalar() && n["slow_log"].Scalar().empty())
      fail(n["slow_log"],
           "logging.slow_log must not be empty (leave it out to log slow statements to the main "
           "log)");
    out.slow_log = relative_to_config(n["slow_log"], "logging.slow_log", source);
  }
  if (n["query_stats_size"])
    out.query_stats_size = static_cast<std::uint32_t>(
        integer(n["query_stats_size"], "logging.query_stats_size", 0, 100'000));
  if (n["level"]) {
    out.level = scalar(n["level"], "logging.level");
    static const std::set<std::string> levels{"trace", "debug",    "info", "warn",
                                              "error", "critical", "off"};
    if (!levels.count(out.level))
      fail(n["level"],
           "logging.level must be one of trace, debug, info, warn, error, critical, off");
  }
}

void parse_reload(const YAML::Node& n, reload_config& out) {
  expect_map(n, "reload", {"watch", "interval_ms"});
  if (n["watch"]) out.watch = boolean(n["watch"], "reload.watch");
  if (n["interval_ms"])
    out.interval_ms =
        static_cast<std::uint32_t>(integer(n["interval_ms"], "reload.interval_ms", 100, 3'600'000));
}

std::shared_ptr<const config> build(const YAML::Node& root, const std::string& source,
                                    const std::string& text) {
  if (!root.IsDefined() || root.IsNull()) fail(root, "the file is empty");
  expect_map(root, "the top level",
             {"listen", "admin", "users", "clusters", "default_cluster", "schemas", "lookups",
              "routing", "transactions", "logging", "reload"});
  auto cfg = std::make_shared<config>();
  cfg->source_path = source;
  cfg->source_text = text;
  cfg->checksum = sha256_hex(text);
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
  if (root["lookups"]) parse_lookups(root["lookups"], *cfg);
  if (root["schemas"]) parse_schemas(root["schemas"], *cfg);
  if (root["routing"]) parse_routing(root["routing"], cfg->routing);
  if (root["transactions"]) parse_transactions(root["transactions"], cfg->transactions, source);
  if (root["logging"]) parse_logging(root["logging"], cfg->logging, source);
  if (root["reload"]) parse_reload(root["reload"], cfg->reload);
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

load_result load_node(const std::string& source, const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    return build(root, source, text);
  } catch (const failure& f) {
    return to_error(source, f.mark, f.message);
  } catch (const YAML::Exception& e) {
    return to_error(source, e.mark, e.msg);
  }
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

load_result load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return load_error{path, 0, 0, "cannot open the file"};
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path);
}

load_result load_string(const std::string& yaml_text, const std::string& source_name) {
  return load_node(source_name, yaml_text);
}

}  // namespace shardgate::config
