// ShardGate's configuration model: an immutable snapshot built by the loader and shared
// read-only (std::shared_ptr<const config>) by every worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/native_password.hpp"
#include "routing/key_pattern.hpp"

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

// Per endpoint (and per worker thread): a sliding window of the last `window` calls; at
// `failure_rate` failures in a full window statements fail fast for `open_s`, then
// `half_open_probes` trial calls decide whether it closes.
struct circuit_breaker_config {
  bool enabled = true;
  std::uint32_t window = 10;
  double failure_rate = 0.5;
  std::uint32_t open_s = 10;
  std::uint32_t half_open_probes = 3;
};

// A reader endpoint and its share of the reads (relative to the other readers).
struct reader_config {
  endpoint address;
  std::uint32_t weight = 1;
};

// How the health checker tells which endpoint is the writer.
enum class writer_check_kind : std::uint8_t {
  read_only,              // the endpoint with @@read_only = 0 and @@innodb_read_only = 0
  aurora_replica_status,  // information_schema.replica_host_status: SESSION_ID MASTER_SESSION_ID
  none,                   // the configured writer, always
};
// How a reader's replication lag is measured.
enum class lag_check_kind : std::uint8_t {
  replication_status,  // SHOW SLAVE STATUS: Seconds_Behind_Master (needs SLAVE MONITOR)
  heartbeat,           // a row the checker updates on the writer each interval: its age
  none,                // not measured (max_replica_lag_ms cannot apply)
};
const char* writer_check_name(writer_check_kind k) noexcept;
const char* lag_check_name(lag_check_kind k) noexcept;

struct health_config {
  std::uint32_t interval_ms = 1000;
  std::uint32_t timeout_ms = 1000;  // a check not answered within this fails
  writer_check_kind writer_check = writer_check_kind::read_only;
  lag_check_kind lag_check = lag_check_kind::replication_status;
  std::string
      heartbeat_table;  // lag_check heartbeat: schema.table (id INT PRIMARY KEY, ts DATETIME(6))
};

// How ShardGate talks TLS to a cluster's endpoints (clusters.NAME.tls), as the MySQL
// client's --ssl-mode: disabled (plain TCP), preferred (TLS when the server offers it),
// required (TLS or no connection, the server's certificate not checked), verify_ca (the
// certificate must chain to `ca`), verify_identity (and name the endpoint's host).
enum class backend_tls_mode : std::uint8_t {
  disabled,
  preferred,
  required,
  verify_ca,
  verify_identity
};
const char* backend_tls_mode_name(backend_tls_mode m) noexcept;

struct backend_tls_config {
  backend_tls_mode mode = backend_tls_mode::disabled;
  std::string ca;    // PEM file of trusted CAs (verify_ca / verify_identity; else optional)
  std::string cert;  // PEM client certificate (optional, with key)
  std::string key;   // PEM private key of `cert`
  // Relative paths are made relative to the config file's directory by the loader.
};

struct cluster_config {
  std::string name;
  endpoint writer;  // the configured writer (the first candidate)
  std::vector<reader_config> readers;
  std::string user;
  std::string password;    // from password, password_env or password_file
  backend_tls_config tls;  // also used by health checks, KILL and XA recovery
  pool_settings pool;      // per endpoint
  circuit_breaker_config circuit_breaker;
  health_config health;
  // Readers further behind than this are skipped until they catch up (0: lag ignored).
  std::uint32_t max_replica_lag_ms = 0;
  std::uint32_t connect_timeout_ms = 2000;
  // A statement whose reply has not been read whole within this is given up: the backend
  // connection is closed and the client gets error 2013 (0: no limit).
  std::uint32_t read_timeout_ms = 0;
  // The writer first, then the readers (endpoint indexes used by the health checker and
  // the pools).
  std::vector<endpoint> endpoints() const;
};

// A token bucket: `per_second` tokens a second, holding at most `burst`; a statement (or a
// login) takes one. Off when per_second is 0.
struct rate_limit_config {
  double per_second = 0;
  std::uint32_t burst = 0;        // >= 1 when enabled
  std::uint32_t max_wait_ms = 0;  // how long a statement over the limit waits for a token
  bool enabled() const { return per_second > 0; }
};

// The authentication plugin a client user logs in with (users[].auth).
enum class auth_plugin : std::uint8_t { mysql_native_password, caching_sha2_password };
const char* auth_plugin_name(auth_plugin p) noexcept;

struct user_config {
  std::string name;
  auth_plugin auth = auth_plugin::mysql_native_password;
  // What the password is checked against; both empty for an empty password.
  // SHA1(SHA1(password)), from password / password_env / password_file or password_hash
  // ('*' + 40 hex). Checks native scrambles, and caching_sha2's clear-text full
  // authentication (by hashing the clear password).
  std::optional<protocol::sha1_digest> password_stage2;
  // SHA-256 crypt (users[].password_sha256: "$5$[rounds=N$]salt$hash", as made by
  // `openssl passwd -5`): checks caching_sha2's full authentication only.
  std::string password_sha256;
  bool require_tls = false;  // refuse this user's logins over plain TCP (3159)
  std::string default_schema;
  rate_limit_config rate_limit;             // statements, over all of the user's connections
  rate_limit_config client_ip_rate_limit;   // statements, one bucket per (user, client IP)
  std::uint32_t max_connections = 0;        // concurrent client connections (0: unlimited)
  rate_limit_config connection_rate_limit;  // logins (max_wait_ms unused)
};

// Failed-login throttling per (user, client address), as MySQL's connection_control:
// after `threshold` failed logins of one pair, each next attempt of that pair waits before
// its answer, min_delay_ms doubling per further failure up to max_delay_ms. A correct
// password logs in once its wait is over (and forgets the failures); other users from the
// same address are not slowed. A pair's failures are forgotten window_s after its last one
// (threshold 0: off).
struct failed_login_config {
  std::uint32_t threshold = 3;
  std::uint32_t min_delay_ms = 1000;
  std::uint32_t max_delay_ms = 2000;
  std::uint32_t window_s = 600;
};

// A hard block per client address for protocol-level garbage only (as MySQL's
// max_connect_errors): `max_errors` connections within window_s that broke off or sent
// what is not a login (malformed handshake, failed TLS handshake, login timeout) block the
// address for block_s; a successful login resets its count (max_errors 0: off).
struct connect_errors_config {
  std::uint32_t max_errors = 100;
  std::uint32_t window_s = 60;
  std::uint32_t block_s = 60;
};

// TLS for clients (listen.tls). Enabled when cert and key are set; the handshake then
// offers CLIENT_SSL. Files are read at start and again at every reload.
struct listen_tls_config {
  std::string cert;  // PEM certificate chain
  std::string key;   // PEM private key
  std::string ca;    // PEM CAs: client certificates are asked for and verified when set
  std::string min_version = "TLSv1.2";  // TLSv1.2 | TLSv1.3
  std::string ciphers;                  // OpenSSL cipher list for TLS 1.2 (empty: default)
  bool enabled() const { return !cert.empty(); }
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
  failed_login_config failed_logins;
  connect_errors_config connect_errors;
  listen_tls_config tls;
  // Refuse logins over plain TCP (ER_SECURE_TRANSPORT_REQUIRED 3159); needs tls.
  bool require_secure_transport = false;
  // caching_sha2_password over plain TCP: the RSA key pair whose public half clients ask
  // for to encrypt the password (PEM files). Both empty: a 2048-bit pair is generated at
  // start (logged as such).
  std::string rsa_private_key;
  std::string rsa_public_key;
};

struct admin_config {
  bool enabled = true;
  std::string address = "127.0.0.1";
  std::uint16_t port = 9104;
  bool metrics = true;  // GET /metrics (Prometheus text)
};

// How statements are run across shards.
struct routing_config {
  // A scattered read (or write) that has not finished within this is cancelled and
  // answered with an error naming the shards still running (0: no deadline).
  std::uint32_t scatter_timeout_ms = 60000;
  // Rows (groups, distinct values) a merge may hold in memory at once before the
  // statement is refused; ORDER BY ... LIMIT and plain scatters stream and hold none.
  std::uint32_t merge_max_rows = 1000000;
  // Where autocommit reads go: a healthy reader of the shard's cluster, or its writer.
  // Transactions, locking reads and writer hints always use the writer.
  bool reads_to_readers = true;
  // After a session writes, its reads stay on the writer this long (0: off).
  std::uint32_t read_your_writes_ms = 0;
  // A statement on one shard still running after this is killed on its server (KILL
  // QUERY); a session can set its own with SET shardgate_max_execution_ms = N (0: none).
  std::uint32_t max_execution_ms = 0;
};

// What a transaction does when a statement in it needs another shard than the one(s) it
// already wrote on.
enum class cross_shard_mode : std::uint8_t {
  reject,       // refuse the statement (the transaction stays open and usable)
  best_effort,  // one transaction per shard, committed one after the other
  xa,           // one XA branch per shard, two-phase commit with a durable decision log
};

struct transactions_config {
  cross_shard_mode cross_shard = cross_shard_mode::reject;
  // xa: the decision log (relative paths: to the config file's directory).
  std::string xa_log;
  // xa (required): this instance's name in its XA transaction ids; instances in front of
  // the same shards need different names (recovery resolves only its own branches).
  std::string xa_name = "shardgate";
  // xa: seconds between recovery passes (XA RECOVER on every cluster).
  std::uint32_t xa_recovery_interval_s = 30;
};

struct logging_config {
  std::string level = "info";
  std::uint32_t slow_query_ms = 1000;  // statements slower than this are logged (0: off)
  // Where slow statements are logged (empty: the main log); relative paths are made
  // relative to the config file's directory.
  std::string slow_log;
  std::uint32_t query_stats_size = 200;  // fingerprints tracked per worker (0: off)
};

// Reloading the configuration when its file changes.
struct reload_config {
  bool watch = true;                 // poll the file for changes
  std::uint32_t interval_ms = 1000;  // how often (>= 100)
};

// ---- sharding ----------------------------------------------------------------------

// What a shard-key column holds and how its value is read.
enum class key_kind : std::uint8_t {
  integer,       // a whole number (BIGINT-like); string literals holding one are read too
  string,        // text; compared as _ci collations do: ASCII case and trailing spaces ignored
  date,          // 'YYYY-MM-DD' or 'YYYYMMDD'
  order_number,  // text matching `pattern`, with named parts date and seq
};
const char* key_kind_name(key_kind k) noexcept;

struct shard_key_config {
  key_kind kind = key_kind::integer;
  std::optional<routing::key_pattern> pattern;  // order_number only
  bool case_sensitive = false;                  // string / order_number: compare bytes exactly
};

enum class strategy_kind : std::uint8_t { hash, range, directory };
enum class hash_function : std::uint8_t {
  modulo,    // integer key, or the seq part of an order number: value % N
  crc32,     // CRC-32 of the key's canonical text
  xxhash64,  // XXH64 of the key's canonical text
};
const char* strategy_kind_name(strategy_kind k) noexcept;
const char* hash_function_name(hash_function f) noexcept;

// One range: keys below `below` (exclusive) that no earlier range took; the last range
// may be open (`unbounded`). Integers and dates (days since 1970-01-01) use `below_int`,
// strings `below_text`.
struct range_config {
  bool unbounded = false;
  std::int64_t below_int = 0;
  std::string below_text;
  std::string cluster;
};

struct strategy_config {
  strategy_kind kind = strategy_kind::hash;
  hash_function function = hash_function::modulo;
  std::vector<std::string> shards;  // hash: clusters, in order
  // hash: virtual buckets (0 = none: hash % shards). With buckets, hash % buckets picks a
  // bucket and bucket_shard[bucket] indexes `shards`.
  std::uint32_t buckets = 0;
  std::vector<std::uint32_t> bucket_shard;
  std::vector<range_config> ranges;  // range
  std::string lookup;                // directory: name under `lookups`
};

// Orders dated on or after `since` use `shards` (hash strategies with date-bearing keys).
struct generation_config {
  std::int32_t since = 0;  // days since 1970-01-01
  std::vector<std::string> shards;
};

enum class keyless_writes : std::uint8_t {
  reject,      // UPDATE/DELETE without a usable shard key are refused
  all_shards,  // ... or run on every shard of the table (opt-in)
};

struct table_config {
  std::string name;       // lower case
  std::string shard_key;  // column, lower case
  shard_key_config key;
  strategy_config strategy;
  std::vector<generation_config> generations;  // ascending by since
  std::string same_as;     // as configured (key and placement were copied from it)
  std::string colocation;  // the table whose placement this one follows (itself if none)
  keyless_writes keyless = keyless_writes::reject;
  // A broadcast table (`broadcast: true`) is a small reference table copied whole to each
  // cluster of `copies` (no shard key, no strategy): reads go to one copy, writes to all.
  bool broadcast = false;
  std::vector<std::string> copies;  // broadcast: clusters holding a copy (read: the first)
  int line = 0;                     // where it is defined, for messages
};

struct schema_config {
  std::string name;             // lower case
  std::string default_cluster;  // unsharded tables of this schema live here
  std::vector<table_config> tables;
  const table_config* find_table(std::string_view lower_name) const;
};

// Directory sharding: key -> cluster. This version keeps the directory in memory, seeded
// from `entries` in the config (the database-backed lookup service is a separate piece).
struct lookup_config {
  std::string name;
  std::vector<std::pair<std::string, std::string>> entries;  // canonical key, cluster
};

struct config {
  std::string source_path;
  listen_config listen;
  admin_config admin;
  std::vector<user_config> users;
  std::vector<cluster_config> clusters;
  std::string default_cluster;
  std::vector<schema_config> schemas;
  std::vector<lookup_config> lookups;
  routing_config routing;
  transactions_config transactions;
  logging_config logging;
  reload_config reload;
  std::string source_text;  // the bytes the snapshot was loaded from
  std::string checksum;     // SHA-256 of source_text, lower-case hex

  const user_config* find_user(std::string_view name) const;
  const cluster_config* find_cluster(std::string_view name) const;
  // Index of a cluster in `clusters`, or -1.
  int cluster_index(std::string_view name) const;
  const schema_config* find_schema(std::string_view lower_name) const;
  // Case-insensitive (ASCII), without allocating.
  const schema_config* find_schema_ci(std::string_view name) const;
  const lookup_config* find_lookup(std::string_view name) const;
};

}  // namespace shardgate::config
