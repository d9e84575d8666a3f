// The clusters section of the config file: endpoints, pools, circuit breakers, health
// checks, readers and TLS to the backends.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "config/loader_internal.hpp"

namespace shardgate::config::detail {

namespace {

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

// clusters.NAME.tls: {mode, ca, cert, key}; files are made absolute and must be readable.
void parse_backend_tls(const YAML::Node& n, backend_tls_config& out, const std::string& where,
                       const std::string& source) {
  const std::string w = where + ".tls";
  expect_map(n, w, {"mode", "ca", "cert", "key"});
  if (!n["mode"])
    fail(n, w + ": mode is required (disabled, preferred, required, verify_ca, verify_identity)");
  const std::string mode = scalar(n["mode"], w + ".mode");
  if (mode == "disabled")
    out.mode = backend_tls_mode::disabled;
  else if (mode == "preferred")
    out.mode = backend_tls_mode::preferred;
  else if (mode == "required")
    out.mode = backend_tls_mode::required;
  else if (mode == "verify_ca")
    out.mode = backend_tls_mode::verify_ca;
  else if (mode == "verify_identity")
    out.mode = backend_tls_mode::verify_identity;
  else
    fail(n["mode"], w + ".mode: '" + mode +
                        "' is not one of disabled, preferred, required, verify_ca, "
                        "verify_identity");
  if (n["cert"] && !n["key"]) fail(n["cert"], w + ".cert needs key (its private key)");
  if (n["key"] && !n["cert"]) fail(n["key"], w + ".key needs cert (the client certificate)");
  if (n["ca"]) out.ca = readable_file(n["ca"], w + ".ca", source);
  if (n["cert"]) out.cert = readable_file(n["cert"], w + ".cert", source);
  if (n["key"]) out.key = readable_file(n["key"], w + ".key", source);
  const bool verifies =
      out.mode == backend_tls_mode::verify_ca || out.mode == backend_tls_mode::verify_identity;
  if (verifies && out.ca.empty())
    fail(n["mode"], w + ".mode " + mode +
                        " needs ca (the PEM file of the CAs the servers' certificates must "
                        "chain to)");
}

}  // namespace

void parse_clusters(const YAML::Node& n, std::vector<cluster_config>& out,
                    const std::string& source) {
  if (!n.IsMap() || n.size() == 0)
    fail(n, "clusters must be a non-empty mapping of name: {writer: host:port, ...}");
  for (const auto& kv : n) {
    cluster_config c;
    c.name = scalar(kv.first, "cluster name");
    const YAML::Node& v = kv.second;
    const std::string where = "clusters." + c.name;
    expect_map(v, where,
               {"writer", "readers", "user", "password", "password_env", "password_file", "tls",
                "pool", "connect_timeout_ms", "read_timeout_ms", "circuit_breaker", "health",
                "max_replica_lag_ms"});
    if (!v["writer"]) fail(v, where + ": writer (host:port) is required");
    c.writer = parse_endpoint(v["writer"], where + ".writer");
    if (!v["user"])
      fail(v, where + ": user is required (the MySQL account ShardGate logs in with)");
    c.user = scalar(v["user"], where + ".user");
    password_source(v, where, {"password", "password_env", "password_file"}, source, c.password);
    if (v["tls"]) parse_backend_tls(v["tls"], c.tls, where, source);
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

}  // namespace shardgate::config::detail
