// ShardGate's configuration model: an immutable snapshot built by the loader and shared
// read-only (std::shared_ptr<const config>) by every worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/native_password.hpp"

namespace shardgate::config {

struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
  bool operator==(const endpoint&) const = default;
};

struct pool_settings {
  std::uint32_t max_connections = 32;       // per endpoint, across all workers
  std::uint32_t min_idle = 0;               // kept open per endpoint
  std::uint32_t idle_timeout_s = 60;        // idle connections above min_idle are closed after this
  std::uint32_t acquire_timeout_ms = 5000;  // a statement waits this long for a free connection
};

struct cluster_config {
  std::string name;
  endpoint writer;
  std::string user;
  std::string password;
  pool_settings pool;
  std::uint32_t connect_timeout_ms = 2000;
};

struct user_config {
  std::string name;
  // SHA1(SHA1(password)); nullopt for an empty password.
  std::optional<protocol::sha1_digest> password_stage2;
  std::string default_schema;
};

struct listen_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 6033;
  unsigned workers = 0;  // 0 = number of cores
  std::uint32_t max_client_connections = 20000;
  std::uint32_t max_packet_bytes = 64u << 20;
  std::string server_version;  // empty = the default cluster's version
  std::uint32_t shutdown_timeout_s = 10;
  std::uint32_t connect_timeout_s = 10;  // to finish the handshake and login
  std::uint32_t write_timeout_s = 60;    // a client that reads nothing this long is dropped
};

struct admin_config {
  bool enabled = true;
  std::string address = "127.0.0.1";
  std::uint16_t port = 9104;
};

struct logging_config {
  std::string level = "info";
};

struct config {
  std::string source_path;
  listen_config listen;
  admin_config admin;
  std::vector<user_config> users;
  std::vector<cluster_config> clusters;
  std::string default_cluster;
  logging_config logging;

  const user_config* find_user(std::string_view name) const;
  const cluster_config* find_cluster(std::string_view name) const;
};

}  // namespace shardgate::config
