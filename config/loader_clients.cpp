// The sections about clients of the config file: listen (TLS, login throttling, connect
// errors), admin and users (authentication and limits), and where passwords come from.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "config/loader_internal.hpp"
#include "protocol/caching_sha2.hpp"

namespace shardgate::config::detail {

std::string password_source(const YAML::Node& parent, std::string_view where,
                            std::initializer_list<std::string_view> keys, const std::string& source,
                            std::string& value) {
  std::string list;
  for (auto k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
  std::string used;
  for (const auto& kv : parent) {  // in document order: the second one is the mistake
    const std::string key = kv.first.as<std::string>();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    if (!used.empty())
      fail(kv.second,
           std::string(where) + ": give only one of " + list + " (" + used + " is given already)");
    used = key;
  }
  value.clear();
  if (used == "password") {
    const YAML::Node plain = parent["password"];
    if (!plain.IsNull()) value = scalar(plain, "password");
  } else if (used == "password_env") {
    const YAML::Node env = parent["password_env"];
    const std::string var = scalar(env, "password_env");
    const char* v = var.empty() ? nullptr : std::getenv(var.c_str());
    if (!v) fail(env, std::string(where) + ": environment variable " + var + " is not set");
    value = v;
  } else if (used == "password_file") {
    const YAML::Node file = parent["password_file"];
    const std::string path = readable_file(file, std::string(where) + ": password_file", source);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail(file, std::string(where) + ": password_file: cannot read " + path);
    char buf[4096];
    std::size_t got = 0;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0 && value.size() <= 65536)
      value.append(buf, got);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) fail(file, std::string(where) + ": password_file: cannot read " + path);
    if (value.size() > 65536)
      fail(file, std::string(where) + ": password_file " + path +
                     " is over 64 KiB: it should hold just the password");
    // One trailing line end (as `echo secret > file` writes) is not part of the password.
    if (!value.empty() && value.back() == '\n') {
      value.pop_back();
      if (!value.empty() && value.back() == '\r') value.pop_back();
    }
  }
  return used;
}

namespace {

void parse_failed_logins(const YAML::Node& n, failed_login_config& out) {
  const std::string w = "listen.failed_logins";
  for (const char* old : {"max_failures", "block_s"})
    if (n.IsMap() && n[old])
      fail(n[old], w + "." + old +
                       " was replaced: failed logins now delay the next attempts of the same "
                       "(user, address) pair (listen.failed_logins: threshold, min_delay_ms, "
                       "max_delay_ms, window_s); an address is blocked only for connections "
                       "that are not logins (listen.connect_errors: max_errors, window_s, "
                       "block_s)");
  expect_map(n, w, {"threshold", "min_delay_ms", "max_delay_ms", "window_s"});
  if (n["threshold"])
    out.threshold =
        static_cast<std::uint32_t>(integer(n["threshold"], w + ".threshold", 0, 1'000'000));
  if (n["min_delay_ms"])
    out.min_delay_ms =
        static_cast<std::uint32_t>(integer(n["min_delay_ms"], w + ".min_delay_ms", 1, 3'600'000));
  if (n["max_delay_ms"])
    out.max_delay_ms =
        static_cast<std::uint32_t>(integer(n["max_delay_ms"], w + ".max_delay_ms", 1, 3'600'000));
  if (n["window_s"])
    out.window_s = static_cast<std::uint32_t>(integer(n["window_s"], w + ".window_s", 1, 86400));
  if (out.min_delay_ms > out.max_delay_ms)
    fail(n["max_delay_ms"] ? n["max_delay_ms"] : n["min_delay_ms"],
         w + ": min_delay_ms (" + std::to_string(out.min_delay_ms) +
             ") must not exceed max_delay_ms (" + std::to_string(out.max_delay_ms) + ")");
}

void parse_connect_errors(const YAML::Node& n, connect_errors_config& out) {
  const std::string w = "listen.connect_errors";
  expect_map(n, w, {"max_errors", "window_s", "block_s"});
  if (n["max_errors"])
    out.max_errors =
        static_cast<std::uint32_t>(integer(n["max_errors"], w + ".max_errors", 0, 1'000'000));
  if (n["window_s"])
    out.window_s = static_cast<std::uint32_t>(integer(n["window_s"], w + ".window_s", 1, 86400));
  if (n["block_s"])
    out.block_s = static_cast<std::uint32_t>(integer(n["block_s"], w + ".block_s", 1, 86400 * 7));
}

// listen.tls: {cert, key, ca, min_version, ciphers}; cert and key together turn TLS on.
void parse_listen_tls(const YAML::Node& n, listen_tls_config& out, const std::string& source) {
  const std::string w = "listen.tls";
  expect_map(n, w, {"cert", "key", "ca", "min_version", "ciphers"});
  if (n["cert"] && !n["key"])
    fail(n["cert"], w + ".cert needs key (the certificate's private key)");
  if (n["key"] && !n["cert"]) fail(n["key"], w + ".key needs cert (the certificate chain)");
  if (!n["cert"])
    for (const char* k : {"ca", "min_version", "ciphers"})
      if (n[k]) fail(n[k], w + "." + k + " applies only with cert and key (which turn TLS on)");
  if (n["cert"]) out.cert = readable_file(n["cert"], w + ".cert", source);
  if (n["key"]) out.key = readable_file(n["key"], w + ".key", source);
  if (n["ca"]) out.ca = readable_file(n["ca"], w + ".ca", source);
  if (n["min_version"]) {
    out.min_version = scalar(n["min_version"], w + ".min_version");
    if (out.min_version != "TLSv1.2" && out.min_version != "TLSv1.3")
      fail(n["min_version"],
           w + ".min_version: '" + out.min_version + "' is not one of TLSv1.2, TLSv1.3");
  }
  if (n["ciphers"]) {
    out.ciphers = scalar(n["ciphers"], w + ".ciphers");
    if (out.ciphers.empty())
      fail(n["ciphers"], w + ".ciphers must not be empty (leave it out for OpenSSL's default)");
  }
}

// The TLS and RSA keys of listen: require_secure_transport needs tls; the RSA pair comes
// whole or not at all.
void parse_listen_security(const YAML::Node& n, listen_config& out, const std::string& source) {
  if (n["tls"]) parse_listen_tls(n["tls"], out.tls, source);
  if (n["require_secure_transport"]) {
    out.require_secure_transport =
        boolean(n["require_secure_transport"], "listen.require_secure_transport");
    if (out.require_secure_transport && !out.tls.enabled())
      fail(n["require_secure_transport"],
           "listen.require_secure_transport needs listen.tls (cert and key): without TLS no "
           "client could log in");
  }
  const YAML::Node priv = n["rsa_private_key"], pub = n["rsa_public_key"];
  if (priv && !pub)
    fail(priv,
         "listen.rsa_private_key needs listen.rsa_public_key (give the pair, or neither "
         "for a key pair generated at start)");
  if (pub && !priv)
    fail(pub,
         "listen.rsa_public_key needs listen.rsa_private_key (give the pair, or neither "
         "for a key pair generated at start)");
  if (priv) out.rsa_private_key = readable_file(priv, "listen.rsa_private_key", source);
  if (pub) out.rsa_public_key = readable_file(pub, "listen.rsa_public_key", source);
}

}  // namespace

void parse_listen(const YAML::Node& n, listen_config& out, const std::string& source) {
  expect_map(
      n, "listen",
      {"address", "port", "workers", "max_client_connections", "max_packet_bytes", "server_version",
       "shutdown_timeout_s", "connect_timeout_s", "write_timeout_s", "failed_logins",
       "connect_errors", "tls", "require_secure_transport", "rsa_private_key", "rsa_public_key"});
  if (n["failed_logins"]) parse_failed_logins(n["failed_logins"], out.failed_logins);
  if (n["connect_errors"]) parse_connect_errors(n["connect_errors"], out.connect_errors);
  parse_listen_security(n, out, source);
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

namespace {

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

}  // namespace

namespace {

// A SHA-256 crypt string as made by `openssl passwd -5` or glibc's crypt():
// "$5$" ["rounds=N$"] salt (at most 16 characters, no '$') "$" 43 characters of
// [./0-9A-Za-z]. Empty when it is one, else what is wrong.
std::string sha256_crypt_problem(std::string_view s) {
  if (s.substr(0, 3) != "$5$") return "does not start with $5$";
  std::string_view rest = s.substr(3);
  if (rest.substr(0, 7) == "rounds=") {
    const auto end = rest.find('$');
    const std::string_view digits = rest.substr(7, end == std::string_view::npos ? 0 : end - 7);
    std::uint64_t rounds = 0;
    bool ok = !digits.empty() && digits.size() <= 9;
    for (char c : digits) {
      ok = ok && c >= '0' && c <= '9';
      rounds = rounds * 10 + static_cast<unsigned>(c - '0');
    }
    if (!ok || rounds < 1000) return "rounds=N must be a number from 1000 to 999999999";
    rest = rest.substr(end + 1);
  }
  const auto dollar = rest.find('$');
  if (dollar == std::string_view::npos) return "has no '$' between the salt and the hash";
  if (dollar > 16) return "has a salt over 16 characters";
  const std::string_view hash = rest.substr(dollar + 1);
  const bool b64 = std::all_of(hash.begin(), hash.end(), [](char c) {
    return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z');
  });
  if (hash.size() != 43 || !b64) return "needs a hash of 43 characters of ./0-9A-Za-z";
  return {};
}

// A user's credentials: auth, one password source, require_tls.
void parse_credentials(const YAML::Node& u, user_config& user, const listen_config& listen,
                       const std::string& source) {
  const std::string where = "user '" + user.name + "'";
  if (u["auth"]) {
    const std::string a = scalar(u["auth"], "auth");
    if (a == "mysql_native_password")
      user.auth = auth_plugin::mysql_native_password;
    else if (a == "caching_sha2_password")
      user.auth = auth_plugin::caching_sha2_password;
    else
      fail(u["auth"],
           where + ": auth '" + a + "' is not one of mysql_native_password, caching_sha2_password");
  }
  std::string pw;
  const std::string used = password_source(
      u, where, {"password", "password_env", "password_file", "password_hash", "password_sha256"},
      source, pw);
  if (used.empty())
    fail(u, where +
                ": one of password, password_env, password_file, password_hash, "
                "password_sha256 is required");
  if (used == "password_hash") {
    auto h = protocol::parse_native_password_hash(scalar(u["password_hash"], "password_hash"));
    if (!h)
      fail(u["password_hash"],
           where + ": password_hash must be '*' followed by 40 hex digits (mysql_native_password)");
    user.password_stage2 = *h;
  } else if (used == "password_sha256") {
    const YAML::Node h = u["password_sha256"];
    if (user.auth != auth_plugin::caching_sha2_password)
      fail(h, where +
                  ": password_sha256 needs auth: caching_sha2_password (a mysql_native_password "
                  "user gives password_hash, '*' followed by 40 hex digits)");
    user.password_sha256 = scalar(h, "password_sha256");
    std::string problem = sha256_crypt_problem(user.password_sha256);
    // (The codec's check is libxcrypt's own: no leading zeros in rounds, a salt of the
    // crypt alphabet.)
    if (problem.empty() && !protocol::is_sha256_crypt(user.password_sha256))
      problem = "is not one crypt(3) accepts (rounds without leading zeros, salt of ./0-9A-Za-z)";
    if (!problem.empty())
      fail(h, where + ": password_sha256 " + problem +
                  " (expected \"$5$[rounds=N$]salt$hash\", as `openssl passwd -5` makes)");
  } else if (!pw.empty()) {
    user.password_stage2 = protocol::native_password_stage2(pw);
  }
  if (u["require_tls"]) {
    user.require_tls = boolean(u["require_tls"], where + ": require_tls");
    if (user.require_tls && !listen.tls.enabled())
      fail(u["require_tls"], where +
                                 ": require_tls needs listen.tls (cert and key): without TLS "
                                 "this user could never log in");
  }
}

}  // namespace

void parse_users(const YAML::Node& n, std::vector<user_config>& out, const listen_config& listen,
                 const std::string& source) {
  if (!n.IsSequence() || n.size() == 0) fail(n, "users must be a non-empty list");
  std::set<std::string> seen;
  for (const auto& u : n) {
    expect_map(u, "a users entry",
               {"name", "auth", "password", "password_hash", "password_sha256", "password_env",
                "password_file", "require_tls", "default_schema", "rate_limit",
                "client_ip_rate_limit", "max_connections", "connection_rate_limit"});
    if (!u["name"]) fail(u, "users entry: name is required");
    user_config user;
    user.name = scalar(u["name"], "users.name");
    if (user.name.empty() || user.name.size() > 80)
      fail(u["name"], "users.name must be 1-80 characters");
    if (!seen.insert(user.name).second)
      fail(u["name"], "user '" + user.name + "' is defined twice");
    parse_credentials(u, user, listen, source);
    if (u["default_schema"]) user.default_schema = scalar(u["default_schema"], "default_schema");
    parse_user_limits(u, user);
    out.push_back(std::move(user));
  }
}

}  // namespace shardgate::config::detail
