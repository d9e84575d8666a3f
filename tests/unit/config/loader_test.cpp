// Config loader: valid files, and every kind of error with its exact file:line:column.
#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "protocol/native_password.hpp"

namespace shardgate::config {
namespace {

// Raw strings below start with a newline so that line 1 is the line after R"(.
std::string yaml(const char* text) {
  std::string s(text);
  if (!s.empty() && s[0] == '\n') s.erase(0, 1);
  return s;
}

std::shared_ptr<const config> expect_ok(const std::string& text) {
  auto r = load_string(text, "test.yaml");
  if (auto* e = std::get_if<load_error>(&r)) {
    ADD_FAILURE() << "unexpected error: " << e->to_string();
    return nullptr;
  }
  return std::get<std::shared_ptr<const config>>(r);
}

struct error_case {
  const char* name;
  std::string text;
  int line;
  int column;
  std::vector<std::string> message_parts;  // all must appear in the message
};

void check_error(const error_case& c) {
  SCOPED_TRACE(c.name);
  auto r = load_string(c.text, "cfg/test.yaml");
  const auto* e = std::get_if<load_error>(&r);
  ASSERT_NE(e, nullptr) << "loaded without error";
  EXPECT_EQ(e->file, "cfg/test.yaml");
  EXPECT_EQ(e->line, c.line) << e->to_string();
  EXPECT_EQ(e->column, c.column) << e->to_string();
  for (const auto& part : c.message_parts)
    EXPECT_NE(e->message.find(part), std::string::npos)
        << "'" << part << "' not in: " << e->message;
  if (c.line > 0) {
    EXPECT_EQ(e->to_string(), "cfg/test.yaml:" + std::to_string(c.line) + ":" +
                                  std::to_string(c.column) + ": " + e->message);
  } else {
    EXPECT_EQ(e->to_string(), "cfg/test.yaml: " + e->message);
  }
}

// The repository root, derived from this file's path (absolute when CMake compiles it).
std::string source_dir() {
  const std::string f = __FILE__;
  const std::size_t at = f.rfind("tests/unit/config/");
  return at == std::string::npos || at == 0 ? std::string(".") : f.substr(0, at - 1);
}

const char* const kMinimal = R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    password: app
default_cluster: main
)";

TEST(config_loader, minimal_config_and_defaults) {
  auto cfg = expect_ok(yaml(kMinimal));
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->source_path, "test.yaml");
  EXPECT_EQ(cfg->listen.address, "127.0.0.1");
  EXPECT_EQ(cfg->listen.port, 6033);
  EXPECT_EQ(cfg->listen.workers, 0u);
  EXPECT_EQ(cfg->listen.max_client_connections, 20000u);
  EXPECT_EQ(cfg->listen.max_packet_bytes, 64u << 20);
  EXPECT_EQ(cfg->listen.shutdown_timeout_s, 10u);
  EXPECT_TRUE(cfg->admin.enabled);
  EXPECT_EQ(cfg->admin.port, 9104);
  ASSERT_EQ(cfg->users.size(), 1u);
  EXPECT_EQ(cfg->users[0].name, "app");
  EXPECT_EQ(cfg->users[0].password_stage2, protocol::native_password_stage2("app"));
  EXPECT_EQ(cfg->users[0].default_schema, "");
  ASSERT_EQ(cfg->clusters.size(), 1u);
  const auto& c = cfg->clusters[0];
  EXPECT_EQ(c.name, "main");
  EXPECT_EQ(c.writer, (endpoint{"127.0.0.1", 3306}));
  EXPECT_EQ(c.user, "app");
  EXPECT_EQ(c.password, "app");
  EXPECT_EQ(c.pool.max_connections, 32u);
  EXPECT_EQ(c.pool.min_idle, 0u);
  EXPECT_EQ(c.connect_timeout_ms, 2000u);
  EXPECT_EQ(cfg->default_cluster, "main");
  EXPECT_EQ(cfg->logging.level, "info");
  EXPECT_EQ(cfg->find_cluster("main"), &c);
  EXPECT_EQ(cfg->find_cluster("nope"), nullptr);
  EXPECT_EQ(cfg->find_user("app"), &cfg->users[0]);
}

TEST(config_loader, full_config) {
  ::setenv("SG_TEST_FULL_PW", "s3cret", 1);
  auto cfg = expect_ok(yaml(R"(
# comment
listen:
  address: 0.0.0.0
  port: 6034
  workers: 4
  max_client_connections: 100
  max_packet_bytes: 1048576
  server_version: 10.11.19-MariaDB
  shutdown_timeout_s: 0
admin:
  enabled: false
  address: "::1"
  port: 9200
users:
  - name: app
    password_hash: "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3"
    default_schema: shop
  - name: nopw
    password: ""
  - name: envuser
    password_env: SG_TEST_FULL_PW
clusters:
  a:
    writer: db-a.example.com:3307
    user: sg
    password_env: SG_TEST_FULL_PW
    connect_timeout_ms: 500
    pool: { max_connections: 8, min_idle: 8, idle_timeout_s: 30, acquire_timeout_ms: 100 }
  b:
    writer: "[::1]:3306"
    user: sg
default_cluster: b
logging:
  level: debug
)"));
  ::unsetenv("SG_TEST_FULL_PW");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->listen.address, "0.0.0.0");
  EXPECT_EQ(cfg->listen.port, 6034);
  EXPECT_EQ(cfg->listen.workers, 4u);
  EXPECT_EQ(cfg->listen.max_client_connections, 100u);
  EXPECT_EQ(cfg->listen.max_packet_bytes, 1048576u);
  EXPECT_EQ(cfg->listen.server_version, "10.11.19-MariaDB");
  EXPECT_EQ(cfg->listen.shutdown_timeout_s, 0u);
  EXPECT_FALSE(cfg->admin.enabled);
  EXPECT_EQ(cfg->admin.address, "::1");
  EXPECT_EQ(cfg->admin.port, 9200);
  ASSERT_EQ(cfg->users.size(), 3u);
  EXPECT_EQ(cfg->users[0].password_stage2, protocol::native_password_stage2("app"));
  EXPECT_EQ(cfg->users[0].default_schema, "shop");
  EXPECT_EQ(cfg->users[1].password_stage2, std::nullopt);  // empty password
  EXPECT_EQ(cfg->users[2].password_stage2, protocol::native_password_stage2("s3cret"));
  ASSERT_EQ(cfg->clusters.size(), 2u);
  const auto& a = cfg->clusters[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.writer, (endpoint{"db-a.example.com", 3307}));
  EXPECT_EQ(a.password, "s3cret");
  EXPECT_EQ(a.connect_timeout_ms, 500u);
  EXPECT_EQ(a.pool.max_connections, 8u);
  EXPECT_EQ(a.pool.min_idle, 8u);
  EXPECT_EQ(a.pool.idle_timeout_s, 30u);
  EXPECT_EQ(a.pool.acquire_timeout_ms, 100u);
  const auto& b = cfg->clusters[1];
  EXPECT_EQ(b.writer, (endpoint{"::1", 3306}));
  EXPECT_EQ(b.password, "");
  EXPECT_EQ(cfg->default_cluster, "b");
  EXPECT_EQ(cfg->logging.level, "debug");
}

TEST(config_loader, example_files_load) {
  ::setenv("APP_DB_PASSWORD", "x", 1);
  ::setenv("REPORTING_DB_PASSWORD", "y", 1);
  for (const char* f :
       {"single-cluster.yaml", "two-clusters.yaml", "production.yaml", "sharded-orders.yaml"}) {
    SCOPED_TRACE(f);
    const std::string path = source_dir() + "/config/examples/" + f;
    auto r = load_file(path);
    if (auto* e = std::get_if<load_error>(&r)) ADD_FAILURE() << e->to_string();
  }
  ::unsetenv("APP_DB_PASSWORD");
  ::unsetenv("REPORTING_DB_PASSWORD");
}

TEST(config_loader, missing_file) {
  auto r = load_file("/nonexistent/shardgate.yaml");
  const auto* e = std::get_if<load_error>(&r);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->line, 0);
  EXPECT_EQ(e->to_string(), "/nonexistent/shardgate.yaml: cannot open the file");
}

TEST(config_loader, load_file_reports_the_path) {
  const std::string path = ::testing::TempDir() + "/sg_loader_test.yaml";
  {
    std::ofstream out(path);
    out << "users:\n  - name: app\n    password: app\n    colour: blue\n";
  }
  auto r = load_file(path);
  std::remove(path.c_str());
  const auto* e = std::get_if<load_error>(&r);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->to_string().rfind(path + ":4:5: unknown key 'colour'", 0), 0u) << e->to_string();
}

TEST(config_loader, unknown_keys_at_every_level) {
  const std::vector<error_case> cases = {
      {"top_level",
       yaml(R"(
users:
  - name: app
    password: app
bogus: 1
)"),
       4,
       1,
       {"unknown key 'bogus'", "top level", "allowed:", "clusters"}},
      {"listen",
       yaml(R"(
listen:
  port: 6033
  prot: 1
)"),
       3,
       3,
       {"unknown key 'prot'", "listen", "port"}},
      {"admin",
       yaml(R"(
admin:
  enable: true
)"),
       2,
       3,
       {"unknown key 'enable'", "admin", "enabled"}},
      {"users_entry",
       yaml(R"(
users:
  - name: app
    pasword: app
)"),
       3,
       5,
       {"unknown key 'pasword'", "users entry", "password_hash"}},
      {"cluster",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    usr: app
)"),
       7,
       5,
       {"unknown key 'usr'", "clusters.main", "writer"}},
      {"pool",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    pool:
      max_connections: 4
      max_idle: 2
)"),
       10,
       7,
       {"unknown key 'max_idle'", "clusters.main.pool", "min_idle"}},
      {"pool_flow",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    pool: { max_connections: 4, maxidle: 2 }
)"),
       8,
       33,
       {"unknown key 'maxidle'", "clusters.main.pool"}},
      {"logging",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
logging:
  level: info
  file: x.log
)"),
       11,
       3,
       {"unknown key 'file'", "logging", "level"}},
  };
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, missing_required_settings) {
  const std::vector<error_case> cases = {
      {"users",
       yaml(R"(
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
)"),
       1,
       1,
       {"users is required"}},
      {"clusters",
       yaml(R"(
users:
  - name: app
    password: app
default_cluster: main
)"),
       1,
       1,
       {"clusters is required"}},
      {"default_cluster",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
)"),
       1,
       1,
       {"default_cluster is required"}},
      {"writer",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    user: app
default_cluster: main
)"),
       6,
       5,
       {"clusters.main", "writer", "required"}},
      {"cluster_user",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    password: x
default_cluster: main
)"),
       6,
       5,
       {"clusters.main", "user is required"}},
      {"user_name",
       yaml(R"(
users:
  - name: app
    password: app
  - password: x
)"),
       4,
       5,
       {"name is required"}},
      {"user_password",
       yaml(R"(
users:
  - name: app
    default_schema: shop
)"),
       2,
       5,
       {"user 'app'",
        "one of password, password_env, password_file, password_hash, password_sha256 is "
        "required"}},
      // No node to point at: reported without line and column.
      {"empty_document",
       yaml(R"(
# nothing but a comment
)"),
       0,
       0,
       {"empty"}},
  };
  for (const auto& c : cases) check_error(c);
}

std::string with_writer(const std::string& writer) {
  return yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: )") +
         writer + "\n    user: app\ndefault_cluster: main\n";
}

TEST(config_loader, bad_addresses) {
  const std::vector<error_case> cases = {
      {"no_port", with_writer("127.0.0.1"), 6, 13, {"'127.0.0.1' has no port"}},
      {"port_zero", with_writer("host:0"), 6, 13, {"port '0' must be 1-65535"}},
      {"port_too_big", with_writer("host:70000"), 6, 13, {"port '70000' must be 1-65535"}},
      {"port_not_a_number", with_writer("host:abc"), 6, 13, {"port 'abc'"}},
      {"empty_port", with_writer("\"host:\""), 6, 13, {"port '' must be 1-65535"}},
      {"ipv6_without_port",
       with_writer("\"[::1]\""),
       6,
       13,
       {"'[::1]' is not host:port", "[v6]:port"}},
      {"ipv6_unbracketed_flow_sequence", with_writer("[::1]"), 6, 13, {"writer must be a string"}},
      {"ipv6_bad_literal", with_writer("\"[db]:3306\""), 6, 13, {"'db' is not an IPv6 address"}},
      {"bad_host_chars",
       with_writer("\"bad host!:1\""),
       6,
       13,
       {"'bad host!' is not a valid host name or address"}},
      {"empty_host", with_writer("\":3306\""), 6, 13, {"'' is not a valid host name"}},
      {"listen_address_not_ip",
       yaml(R"(
listen:
  address: localhost
)"),
       2,
       12,
       {"listen.address", "'localhost' is not an IP address"}},
      {"admin_address_not_ip",
       yaml(R"(
admin:
  address: 10.0.0.256
)"),
       2,
       12,
       {"admin.address", "not an IP address"}},
  };
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, unknown_default_cluster) {
  check_error({"unknown_default_cluster",
               yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: mian
)"),
               8,
               18,
               {"default_cluster 'mian' is not defined under clusters"}});
}

TEST(config_loader, wrong_types_and_ranges) {
  const std::vector<error_case> cases = {
      {"top_level_not_a_map",
       yaml(R"(
- a
- b
)"),
       1,
       1,
       {"the top level must be a mapping"}},
      {"listen_scalar",
       yaml(R"(
listen: 6033
)"),
       1,
       9,
       {"listen must be a mapping"}},
      {"port_text",
       yaml(R"(
listen:
  port: abc
)"),
       2,
       9,
       {"listen.port must be an integer, got 'abc'"}},
      {"port_negative",
       yaml(R"(
listen:
  port: -1
)"),
       2,
       9,
       {"listen.port must be an integer"}},
      {"port_float",
       yaml(R"(
listen:
  port: 80.5
)"),
       2,
       9,
       {"listen.port must be an integer, got '80.5'"}},
      {"port_out_of_range",
       yaml(R"(
listen:
  port: 65536
)"),
       2,
       9,
       {"listen.port must be between 1 and 65535, got 65536"}},
      {"port_sequence",
       yaml(R"(
listen:
  port: [1, 2]
)"),
       2,
       9,
       {"listen.port must be an integer"}},
      {"workers_too_many",
       yaml(R"(
listen:
  workers: 257
)"),
       2,
       12,
       {"listen.workers must be between 0 and 256"}},
      {"max_packet_too_small",
       yaml(R"(
listen:
  max_packet_bytes: 1023
)"),
       2,
       21,
       {"listen.max_packet_bytes must be between 1024"}},
      {"admin_enabled_not_bool",
       yaml(R"(
admin:
  enabled: maybe
)"),
       2,
       12,
       {"admin.enabled must be true or false"}},
      {"users_map",
       yaml(R"(
users:
  app: {password: x}
)"),
       2,
       3,
       {"users must be a non-empty list"}},
      {"users_empty_list",
       yaml(R"(
users: []
)"),
       1,
       8,
       {"users must be a non-empty list"}},
      {"user_entry_scalar",
       yaml(R"(
users:
  - app
)"),
       2,
       5,
       {"a users entry must be a mapping"}},
      {"user_name_list",
       yaml(R"(
users:
  - name: [a, b]
    password: x
)"),
       2,
       11,
       {"users.name must be a string"}},
      {"user_name_too_long",
       "users:\n  - name: " + std::string(81, 'u') + "\n    password: x\n",
       2,
       11,
       {"users.name must be 1-80 characters"}},
      {"user_twice",
       yaml(R"(
users:
  - name: app
    password: x
  - name: app
    password: y
)"),
       4,
       11,
       {"user 'app' is defined twice"}},
      {"clusters_list",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  - main
)"),
       5,
       3,
       {"clusters must be a non-empty mapping"}},
      {"cluster_scalar",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main: 127.0.0.1:3306
)"),
       5,
       9,
       {"clusters.main must be a mapping"}},
      {"cluster_user_map",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: {name: app}
)"),
       7,
       11,
       {"clusters.main.user must be a string"}},
      {"connect_timeout_zero",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    connect_timeout_ms: 0
)"),
       8,
       25,
       {"clusters.main.connect_timeout_ms must be between 1 and 600000, got 0"}},
      {"default_cluster_list",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: [main]
)"),
       8,
       18,
       {"default_cluster must be a string"}},
      {"logging_level",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
logging:
  level: verbose
)"),
       10,
       10,
       {"logging.level must be one of"}},
  };
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, passwords) {
  const std::vector<error_case> cases = {
      {"hash_too_short",
       yaml(R"(
users:
  - name: app
    password_hash: "*5BCB3E6AC345"
)"),
       3,
       20,
       {"user 'app'", "password_hash must be '*' followed by 40 hex digits"}},
      {"hash_without_star",
       yaml(R"(
users:
  - name: app
    password_hash: 5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3
)"),
       3,
       20,
       {"password_hash must be '*' followed by 40 hex digits"}},
      {"hash_not_hex",
       yaml(R"(
users:
  - name: app
    password_hash: "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563DX"
)"),
       3,
       20,
       {"password_hash must be '*' followed by 40 hex digits"}},
      {"hash_and_password",
       yaml(R"(
users:
  - name: app
    password: app
    password_hash: "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3"
)"),
       4,
       20,
       {"user 'app': give only one of password, password_env, password_file, password_hash",
        "(password is given already)"}},
      {"password_and_env",
       yaml(R"(
users:
  - name: app
    password: app
    password_env: SG_TEST_PW
)"),
       4,
       19,
       {"give only one of password, password_env", "(password is given already)"}},
      {"user_env_unset",
       yaml(R"(
users:
  - name: app
    password_env: SG_TEST_PW_SURELY_UNSET
)"),
       3,
       19,
       {"user 'app'", "environment variable SG_TEST_PW_SURELY_UNSET is not set"}},
      {"cluster_env_unset",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    password_env: SG_TEST_PW_SURELY_UNSET
)"),
       8,
       19,
       {"clusters.main", "environment variable SG_TEST_PW_SURELY_UNSET is not set"}},
  };
  ::unsetenv("SG_TEST_PW_SURELY_UNSET");
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, password_env_set) {
  ::setenv("SG_TEST_PW_SET", "from-env", 1);
  auto cfg = expect_ok(yaml(R"(
users:
  - name: app
    password_env: SG_TEST_PW_SET
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    password_env: SG_TEST_PW_SET
default_cluster: main
)"));
  ::unsetenv("SG_TEST_PW_SET");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->users[0].password_stage2, protocol::native_password_stage2("from-env"));
  EXPECT_EQ(cfg->clusters[0].password, "from-env");
}

TEST(config_loader, pool_limits) {
  const std::vector<error_case> cases = {
      {"min_idle_exceeds_max_block",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    pool:
      max_connections: 2
      min_idle: 3
)"),
       9,
       7,
       {"clusters.main.pool: min_idle (3) exceeds max_connections (2)"}},
      {"min_idle_exceeds_default_max_flow",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    pool: { min_idle: 33 }
)"),
       8,
       11,
       {"min_idle (33) exceeds max_connections (32)"}},
      {"max_connections_zero",
       yaml(R"(
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    pool: { max_connections: 0 }
)"),
       8,
       30,
       {"pool.max_connections must be between 1 and 100000, got 0"}},
  };
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, admin_port_clash) {
  check_error({"explicit_admin",
               yaml(R"(
listen:
  port: 7000
admin:
  port: 7000
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
)"),
               4,
               9,
               {"admin.port must differ from listen.port"}});
  // An admin section without a port: the written listen.port is the one to point at.
  check_error({"admin_without_port",
               yaml(R"(
listen:
  port: 9104
admin:
  address: 127.0.0.1
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
)"),
               2,
               9,
               {"admin.port must differ from listen.port"}});
  // Disabled admin: no clash.
  expect_ok(yaml(R"(
listen:
  port: 7000
admin:
  enabled: false
  port: 7000
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
)"));
}

// Regression: with no admin section, listen.port equal to the default admin port (9104)
// clashes; the loader used to call fail(root["admin"], ...) on a node that does not exist and
// yaml-cpp's InvalidNode surfaced as "invalid node; first invalid key: \"admin\"" without a
// position (fixed in 481d993: the error now points at the written port).
TEST(config_loader, admin_port_clash_with_default_admin_port) {
  check_error({"implicit_admin",
               yaml(R"(
listen:
  port: 9104
users:
  - name: app
    password: app
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
default_cluster: main
)"),
               2,
               9,
               {"admin.port must differ from listen.port"}});
}

TEST(config_loader, yaml_syntax_errors) {
  const std::vector<error_case> cases = {
      {"unterminated_flow_sequence",
       yaml(R"(
users: [a, b
clusters: {}
)"),
       2,
       9,
       {}},
      {"bad_indentation",
       yaml(R"(
users:
  - name: app
   password: app
)"),
       3,
       4,
       {}},
      // `host:` unquoted is a second mapping inside a value; the colon is reported.
      {"illegal_map_value", with_writer("host:"), 6, 17, {"illegal map value"}},
      {"tab_indentation", "users:\n\t- name: app\n", 2, 2, {"illegal block entry"}},
  };
  for (const auto& c : cases) check_error(c);
}

// ---- broadcast tables ----------------------------------------------------------------

// Lines 1-12; the schema's tables start at line 13 (column 7 for a table's keys).
const char* const kBroadcastBase = R"(
users: [{name: app, password: app}]
clusters:
  main: {writer: 127.0.0.1:3306, user: app}
  s1: {writer: 127.0.0.1:3307, user: app}
  s2: {writer: 127.0.0.1:3308, user: app}
  s3: {writer: 127.0.0.1:3309, user: app}
  s4: {writer: 127.0.0.1:3310, user: app}
  spare: {writer: 127.0.0.1:3311, user: app}
default_cluster: main
schemas:
  shop:
    tables:
)";

std::string with_tables(const char* tables) {
  return yaml(kBroadcastBase) + yaml(tables);
}

const table_config* find(const config& cfg, std::string_view schema, std::string_view table) {
  const auto* sc = cfg.find_schema(schema);
  return sc ? sc->find_table(table) : nullptr;
}

TEST(config_loader, broadcast_tables) {
  auto cfg = expect_ok(with_tables(R"(
      orders:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: modulo, shards: [s2, s1]}
        generations: [{since: 2026-12-01, shards: [s1, s2, s3]}]
      members:
        shard_key: id
        key: integer
        strategy: {kind: range, ranges: [{below: 10, cluster: s1}, {cluster: s4}]}
      shops: {broadcast: true}
      regions:
        broadcast: true
        clusters: [s3, s1]
      plain: {broadcast: false, shard_key: id, key: integer, strategy: {kind: hash, shards: [s1]}}
      followers: {shard_key: id, same_as: plain}
  lonely:
    default_cluster: s4
    tables:
      codes: {broadcast: true}
)"));
  ASSERT_TRUE(cfg);
  const auto* shops = find(*cfg, "shop", "shops");
  ASSERT_TRUE(shops);
  EXPECT_TRUE(shops->broadcast);
  EXPECT_TRUE(shops->shard_key.empty());
  EXPECT_EQ(shops->colocation, "shops");
  // Every cluster of every strategy and generation, plus the default cluster, in the order
  // of the clusters section (spare is used by no table).
  EXPECT_EQ(shops->copies, (std::vector<std::string>{"main", "s1", "s2", "s3", "s4"}));
  const auto* regions = find(*cfg, "shop", "regions");
  ASSERT_TRUE(regions);
  EXPECT_EQ(regions->copies, (std::vector<std::string>{"s3", "s1"}));  // as written
  const auto* plain = find(*cfg, "shop", "plain");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->broadcast);
  EXPECT_TRUE(plain->copies.empty());
  EXPECT_FALSE(find(*cfg, "shop", "orders")->broadcast);
  // A schema without sharded tables: its default cluster only.
  const auto* codes = find(*cfg, "lonely", "codes");
  ASSERT_TRUE(codes);
  EXPECT_EQ(codes->copies, (std::vector<std::string>{"s4"}));
}

TEST(config_loader, broadcast_table_errors) {
  const std::vector<error_case> cases = {
      {"shard_key",
       with_tables(R"(
      shops:
        broadcast: true
        shard_key: id
)"),
       15,
       20,
       {"schemas.shop.tables.shops.shard_key: a broadcast table", "no shard key"}},
      {"key",
       with_tables(R"(
      shops: {broadcast: true, key: integer}
)"),
       13,
       37,
       {"shops.key: a broadcast table"}},
      {"strategy",
       with_tables(R"(
      shops:
        strategy: {kind: hash, shards: [s1]}
        broadcast: true
)"),
       14,
       19,
       {"shops.strategy: a broadcast table", "no shard key, key or strategy"}},
      {"generations",
       with_tables(R"(
      shops:
        broadcast: true
        generations: [{since: 2026-12-01, shards: [s1]}]
)"),
       15,
       22,
       {"shops.generations: a broadcast table"}},
      {"same_as",
       with_tables(R"(
      orders: {shard_key: id, key: integer, strategy: {kind: hash, shards: [s1]}}
      shops: {broadcast: true, same_as: orders}
)"),
       14,
       41,
       {"shops.same_as: a broadcast table", "cannot follow the placement"}},
      {"keyless_writes",
       with_tables(R"(
      shops: {broadcast: true, keyless_writes: all_shards}
)"),
       13,
       48,
       {"shops.keyless_writes", "every copy"}},
      {"same_as_target",
       with_tables(R"(
      shops: {broadcast: true}
      stock: {shard_key: id, same_as: shops}
)"),
       14,
       39,
       {"stock.same_as: 'shops' is a broadcast table"}},
      {"clusters_without_broadcast",
       with_tables(R"(
      orders:
        shard_key: id
        key: integer
        strategy: {kind: hash, shards: [s1]}
        clusters: [s1]
)"),
       17,
       19,
       {"orders.clusters applies to broadcast tables"}},
      {"clusters_with_broadcast_false",
       with_tables(R"(
      shops: {broadcast: false, clusters: [s1]}
)"),
       13,
       43,
       {"shops.clusters applies to broadcast tables"}},
      {"unknown_cluster",
       with_tables(R"(
      shops: {broadcast: true, clusters: [s1, nowhere]}
)"),
       13,
       47,
       {"shops.clusters: cluster 'nowhere' is not defined"}},
      {"cluster_twice",
       with_tables(R"(
      shops: {broadcast: true, clusters: [s1, s1]}
)"),
       13,
       47,
       {"cluster 's1' is listed twice"}},
      {"empty_clusters",
       with_tables(R"(
      shops: {broadcast: true, clusters: []}
)"),
       13,
       42,
       {"shops.clusters must be a non-empty list"}},
      {"broadcast_not_boolean",
       with_tables(R"(
      shops: {broadcast: everywhere}
)"),
       13,
       26,
       {"shops.broadcast must be true or false"}},
      {"no_shard_key_mentions_broadcast",
       with_tables(R"(
      shops: {key: integer}
)"),
       13,
       14,
       {"shard_key (the column) is required", "broadcast: true"}},
  };
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, transactions) {
  {
    auto cfg = expect_ok(yaml(kMinimal));
    ASSERT_TRUE(cfg);
    EXPECT_EQ(cfg->transactions.cross_shard, cross_shard_mode::reject);
    EXPECT_EQ(cfg->transactions.xa_name, "shardgate");
    EXPECT_EQ(cfg->transactions.xa_recovery_interval_s, 30u);
    EXPECT_TRUE(cfg->transactions.xa_log.empty());
  }
  {
    auto r = load_string(yaml(kMinimal) +
                             "transactions:\n  cross_shard: xa\n  xa_log: state/xa.log\n"
                             "  xa_name: gate_1\n  xa_recovery_interval_s: 5\n",
                         "/etc/shardgate/shardgate.yaml");
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const config>>(r));
    const auto& cfg = std::get<std::shared_ptr<const config>>(r);
    EXPECT_EQ(cfg->transactions.cross_shard, cross_shard_mode::xa);
    // Relative to the config file's directory.
    EXPECT_EQ(cfg->transactions.xa_log, "/etc/shardgate/state/xa.log");
    EXPECT_EQ(cfg->transactions.xa_name, "gate_1");
    EXPECT_EQ(cfg->transactions.xa_recovery_interval_s, 5u);
  }
  {
    auto cfg = expect_ok(yaml(kMinimal) +
                         "transactions:\n  cross_shard: best_effort\n  xa_log: /var/x.log\n");
    ASSERT_TRUE(cfg);
    EXPECT_EQ(cfg->transactions.cross_shard, cross_shard_mode::best_effort);
    EXPECT_EQ(cfg->transactions.xa_log, "/var/x.log");
  }
  check_error({"xa without a name",
               yaml(kMinimal) + "transactions:\n  cross_shard: xa\n",
               11,
               16,
               {"xa needs transactions.xa_name"}});
  check_error({"xa without a log",
               yaml(kMinimal) + "transactions:\n  cross_shard: xa\n  xa_name: a\n",
               11,
               16,
               {"xa needs transactions.xa_log"}});
  check_error({"unknown mode",
               yaml(kMinimal) + "transactions:\n  cross_shard: twophase\n",
               11,
               16,
               {"reject, best_effort or xa"}});
  check_error({"bad xa_name",
               yaml(kMinimal) + "transactions:\n  cross_shard: xa\n  xa_log: x\n  xa_name: a-b\n",
               13,
               12,
               {"xa_name must be 1-24 characters"}});
  // The instance name goes into XA ids: 1-24 characters of [A-Za-z0-9_].
  EXPECT_TRUE(expect_ok(yaml(kMinimal) + "transactions:\n  xa_name: Gate_2\n"));
  check_error({"quote in xa_name",
               yaml(kMinimal) + "transactions:\n  xa_name: a'b\n",
               11,
               12,
               {"xa_name"}});
  check_error(
      {"empty xa_name", yaml(kMinimal) + "transactions:\n  xa_name: ''\n", 11, 12, {"xa_name"}});
  check_error({"long xa_name",
               yaml(kMinimal) + "transactions:\n  xa_name: abcdefghijklmnopqrstuvwxyz\n",
               11,
               12,
               {"xa_name"}});
  check_error({"interval",
               yaml(kMinimal) + "transactions:\n  xa_recovery_interval_s: 0\n",
               11,
               27,
               {"xa_recovery_interval_s"}});
  check_error({"empty log",
               yaml(kMinimal) + "transactions:\n  xa_log: ''\n",
               11,
               11,
               {"must not be empty"}});
}

TEST(config_loader, circuit_breaker) {
  {
    auto cfg = expect_ok(yaml(kMinimal));
    ASSERT_TRUE(cfg);
    const auto& b = cfg->clusters[0].circuit_breaker;
    EXPECT_TRUE(b.enabled);
    EXPECT_EQ(b.window, 10u);
    EXPECT_DOUBLE_EQ(b.failure_rate, 0.5);
    EXPECT_EQ(b.open_s, 10u);
    EXPECT_EQ(b.half_open_probes, 3u);
  }
  const std::string head = yaml(R"(
users: [{name: app, password: app}]
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
    circuit_breaker:
)");
  {
    auto cfg = expect_ok(head +
                         "      window: 20\n      failure_rate: 0.25\n      open_s: 2\n"
                         "      half_open_probes: 1\n      enabled: false\n"
                         "default_cluster: main\n");
    ASSERT_TRUE(cfg);
    const auto& b = cfg->clusters[0].circuit_breaker;
    EXPECT_FALSE(b.enabled);
    EXPECT_EQ(b.window, 20u);
    EXPECT_DOUBLE_EQ(b.failure_rate, 0.25);
    EXPECT_EQ(b.open_s, 2u);
    EXPECT_EQ(b.half_open_probes, 1u);
  }
  check_error({"window", head + "      window: 65\ndefault_cluster: main\n", 7, 15, {"window"}});
  check_error({"rate",
               head + "      failure_rate: 0\ndefault_cluster: main\n",
               7,
               21,
               {"failure_rate must be a number above 0"}});
  check_error({"rate text",
               head + "      failure_rate: half\ndefault_cluster: main\n",
               7,
               21,
               {"failure_rate"}});
  check_error(
      {"unknown", head + "      windw: 3\ndefault_cluster: main\n", 7, 7, {"unknown key 'windw'"}});
}

TEST(config_loader, readers_health_and_read_routing) {
  {
    auto cfg = expect_ok(yaml(kMinimal));
    ASSERT_TRUE(cfg);
    const auto& c = cfg->clusters[0];
    EXPECT_TRUE(c.readers.empty());
    EXPECT_EQ(c.health.interval_ms, 1000u);
    EXPECT_EQ(c.health.writer_check, writer_check_kind::read_only);
    EXPECT_EQ(c.health.lag_check, lag_check_kind::replication_status);
    EXPECT_EQ(c.max_replica_lag_ms, 0u);
    EXPECT_TRUE(cfg->routing.reads_to_readers);
    EXPECT_EQ(cfg->routing.read_your_writes_ms, 0u);
  }
  const std::string head = yaml(R"(
users: [{name: app, password: app}]
clusters:
  main:
    writer: 127.0.0.1:3306
    user: app
)");
  {
    auto cfg = expect_ok(head +
                         "    readers: [127.0.0.1:3307, {endpoint: '127.0.0.1:3308', weight: 3}]\n"
                         "    health: {interval_ms: 250, timeout_ms: 100, writer_check: "
                         "aurora_replica_status, lag_check: heartbeat, heartbeat_table: "
                         "ops.heartbeat}\n"
                         "    max_replica_lag_ms: 1500\n"
                         "    read_timeout_ms: 30000\n"
                         "default_cluster: main\n"
                         "routing: {reads: writer, read_your_writes_ms: 2000, "
                         "max_execution_ms: 750}\n");
    ASSERT_TRUE(cfg);
    const auto& c = cfg->clusters[0];
    ASSERT_EQ(c.readers.size(), 2u);
    EXPECT_EQ(c.readers[0].address.port, 3307);
    EXPECT_EQ(c.readers[0].weight, 1u);
    EXPECT_EQ(c.readers[1].address.port, 3308);
    EXPECT_EQ(c.readers[1].weight, 3u);
    ASSERT_EQ(c.endpoints().size(), 3u);
    EXPECT_EQ(c.endpoints()[0].port, 3306);
    EXPECT_EQ(c.health.interval_ms, 250u);
    EXPECT_EQ(c.health.timeout_ms, 100u);
    EXPECT_EQ(c.health.writer_check, writer_check_kind::aurora_replica_status);
    EXPECT_EQ(c.health.lag_check, lag_check_kind::heartbeat);
    EXPECT_EQ(c.health.heartbeat_table, "ops.heartbeat");
    EXPECT_EQ(c.max_replica_lag_ms, 1500u);
    EXPECT_FALSE(cfg->routing.reads_to_readers);
    EXPECT_EQ(cfg->routing.read_your_writes_ms, 2000u);
    EXPECT_EQ(cfg->routing.max_execution_ms, 750u);
    EXPECT_EQ(c.read_timeout_ms, 30000u);
  }
  const std::string tail = "default_cluster: main\n";
  check_error({"reader is the writer",
               head + "    readers: [127.0.0.1:3306]\n" + tail,
               6,
               15,
               {"127.0.0.1:3306 is the writer"}});
  check_error({"reader twice",
               head + "    readers: [127.0.0.1:3307, 127.0.0.1:3307]\n" + tail,
               6,
               31,
               {"listed twice"}});
  check_error({"reader not a list",
               head + "    readers: 127.0.0.1:3307\n" + tail,
               6,
               14,
               {"readers must be a list"}});
  check_error({"reader bad endpoint",
               head + "    readers: [nohost]\n" + tail,
               6,
               15,
               {"clusters.main.readers"}});
  check_error({"writer_check",
               head + "    health: {writer_check: dns}\n" + tail,
               6,
               28,
               {"'dns' is not one of read_only, aurora_replica_status, none"}});
  check_error({"lag_check",
               head + "    health: {lag_check: gtid}\n" + tail,
               6,
               25,
               {"'gtid' is not one of replication_status, heartbeat, none"}});
  check_error({"heartbeat without table",
               head + "    health: {lag_check: heartbeat}\n" + tail,
               6,
               13,
               {"needs heartbeat_table"}});
  check_error({"heartbeat table name",
               head + "    health: {lag_check: heartbeat, heartbeat_table: 'x; DROP'}\n" + tail,
               6,
               53,
               {"must be schema.table"}});
  check_error(
      {"interval", head + "    health: {interval_ms: 10}\n" + tail, 6, 27, {"interval_ms"}});
  check_error({"lag without measurement",
               head + "    health: {lag_check: none}\n    max_replica_lag_ms: 100\n" + tail,
               7,
               25,
               {"needs a lag measurement"}});
  check_error(
      {"lag in seconds", head + "    max_replica_lag_ms: 500\n" + tail, 6, 25, {"whole seconds"}});
  check_error({"heartbeat lag within one interval",
               head + "    health: {lag_check: heartbeat, heartbeat_table: a.b}\n" +
                   "    max_replica_lag_ms: 1000\n" + tail,
               7,
               25,
               {"must exceed health.interval_ms"}});
  check_error({"heartbeat table unused",
               head + "    health: {heartbeat_table: a.b}\n" + tail,
               6,
               31,
               {"heartbeat_table is used by lag_check: heartbeat only"}});
  check_error({"reads",
               head + tail + "routing: {reads: replicas}\n",
               7,
               18,
               {"'replicas' is not one of readers, writer"}});
}

// One user "app" with `user_lines` (4-space indented) added after its password: they
// start at line 4.
std::string with_user(const std::string& user_lines) {
  return "users:\n  - name: app\n    password: app\n" + user_lines +
         "clusters:\n  main: { writer: 127.0.0.1:3306, user: app }\ndefault_cluster: main\n";
}

TEST(config_loader, limits_logging_and_reload_defaults) {
  auto cfg = expect_ok(yaml(kMinimal));
  ASSERT_TRUE(cfg);
  const user_config& u = cfg->users[0];
  EXPECT_FALSE(u.rate_limit.enabled());
  EXPECT_FALSE(u.client_ip_rate_limit.enabled());
  EXPECT_FALSE(u.connection_rate_limit.enabled());
  EXPECT_EQ(u.max_connections, 0u);
  EXPECT_EQ(cfg->listen.failed_logins.threshold, 3u);
  EXPECT_EQ(cfg->listen.failed_logins.min_delay_ms, 1000u);
  EXPECT_EQ(cfg->listen.failed_logins.max_delay_ms, 2000u);
  EXPECT_EQ(cfg->listen.failed_logins.window_s, 600u);
  EXPECT_EQ(cfg->listen.connect_errors.max_errors, 100u);
  EXPECT_EQ(cfg->listen.connect_errors.window_s, 60u);
  EXPECT_EQ(cfg->listen.connect_errors.block_s, 60u);
  EXPECT_TRUE(cfg->admin.metrics);
  EXPECT_EQ(cfg->logging.slow_query_ms, 1000u);
  EXPECT_EQ(cfg->logging.slow_log, "");
  EXPECT_EQ(cfg->logging.query_stats_size, 200u);
  EXPECT_TRUE(cfg->reload.watch);
  EXPECT_EQ(cfg->reload.interval_ms, 1000u);
}

TEST(config_loader, user_limits) {
  auto cfg =
      expect_ok(with_user(R"(    rate_limit: { queries_per_second: 250, burst: 40, max_wait_ms: 20 }
    client_ip_rate_limit: { queries_per_second: 0.5 }
    max_connections: 300
    connection_rate_limit: { connections_per_second: 50, burst: 5 }
  - name: other
    password: x
    rate_limit: { queries_per_second: 250 }
    client_ip_rate_limit: { queries_per_second: 14 }
    connection_rate_limit: { connections_per_second: 1e3 }
)"));
  ASSERT_TRUE(cfg);
  ASSERT_EQ(cfg->users.size(), 2u);
  const user_config& a = cfg->users[0];
  EXPECT_TRUE(a.rate_limit.enabled());
  EXPECT_DOUBLE_EQ(a.rate_limit.per_second, 250);
  EXPECT_EQ(a.rate_limit.burst, 40u);
  EXPECT_EQ(a.rate_limit.max_wait_ms, 20u);
  EXPECT_DOUBLE_EQ(a.client_ip_rate_limit.per_second, 0.5);
  EXPECT_EQ(a.client_ip_rate_limit.burst, 1u);  // at least one
  EXPECT_EQ(a.client_ip_rate_limit.max_wait_ms, 0u);
  EXPECT_EQ(a.max_connections, 300u);
  EXPECT_DOUBLE_EQ(a.connection_rate_limit.per_second, 50);
  EXPECT_EQ(a.connection_rate_limit.burst, 5u);
  const user_config& b = cfg->users[1];
  EXPECT_EQ(b.rate_limit.burst, 25u);           // a tenth of a second's worth
  EXPECT_EQ(b.client_ip_rate_limit.burst, 1u);  // 1.4 rounded
  EXPECT_EQ(b.connection_rate_limit.burst, 100u);
  EXPECT_DOUBLE_EQ(b.connection_rate_limit.per_second, 1000);
  EXPECT_EQ(b.max_connections, 0u);
}

TEST(config_loader, user_limit_errors) {
  const std::vector<error_case> cases = {
      {"zero rate",
       with_user("    rate_limit: { queries_per_second: 0 }\n"),
       4,
       39,
       {"users.app.rate_limit.queries_per_second must be above 0"}},
      {"negative rate",
       with_user("    client_ip_rate_limit: { queries_per_second: -5 }\n"),
       4,
       49,
       {"users.app.client_ip_rate_limit.queries_per_second must be above 0", "-5"}},
      {"rate too high",
       with_user("    rate_limit: { queries_per_second: 2e9 }\n"),
       4,
       39,
       {"users.app.rate_limit.queries_per_second must be above 0 and at most 1000000000, got 2e9"}},
      {"rate not a number",
       with_user("    rate_limit:\n      queries_per_second: lots\n"),
       5,
       27,
       {"queries_per_second must be a number, got 'lots'"}},
      {"infinite rate",
       with_user("    rate_limit: { queries_per_second: .inf }\n"),
       4,
       39,
       {"must be a number"}},
      {"rate missing",
       with_user("    rate_limit: { burst: 5 }\n"),
       4,
       17,
       {"users.app.rate_limit: queries_per_second is required"}},
      {"rate limit not a map",
       with_user("    rate_limit: 100\n"),
       4,
       17,
       {"users.app.rate_limit must be a mapping"}},
      {"zero burst",
       with_user("    rate_limit: { queries_per_second: 10, burst: 0 }\n"),
       4,
       50,
       {"users.app.rate_limit.burst must be between 1 and"}},
      {"wait too long",
       with_user("    rate_limit: { queries_per_second: 10, max_wait_ms: 9999999 }\n"),
       4,
       56,
       {"max_wait_ms must be between 0 and 3600000"}},
      {"unknown rate key",
       with_user("    rate_limit: { qps: 10 }\n"),
       4,
       19,
       {"unknown key 'qps' in users.app.rate_limit",
        "allowed: queries_per_second, burst, max_wait_ms"}},
      {"connection limit with queries_per_second",
       with_user("    connection_rate_limit: { queries_per_second: 10 }\n"),
       4,
       30,
       {"unknown key 'queries_per_second' in users.app.connection_rate_limit",
        "allowed: connections_per_second, burst"}},
      {"connection limit wait",
       with_user("    connection_rate_limit: { connections_per_second: 10, max_wait_ms: 5 }\n"),
       4,
       71,
       {"connection_rate_limit.max_wait_ms does not apply"}},
      {"connection rate missing",
       with_user("    connection_rate_limit: { burst: 10 }\n"),
       4,
       28,
       {"connections_per_second is required"}},
      {"max_connections text",
       with_user("    max_connections: many\n"),
       4,
       22,
       {"users.app.max_connections must be an integer"}},
      {"max_connections negative",
       with_user("    max_connections: -1\n"),
       4,
       22,
       {"users.app.max_connections must be an integer"}},
  };
  for (const auto& c : cases) check_error(c);
}

TEST(config_loader, failed_logins_and_metrics) {
  auto cfg = expect_ok(yaml(kMinimal) +
                       "listen:\n  failed_logins: { threshold: 0, window_s: 10, min_delay_ms: 5,"
                       " max_delay_ms: 5 }\n"
                       "admin:\n  metrics: false\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->listen.failed_logins.threshold, 0u);
  EXPECT_EQ(cfg->listen.failed_logins.window_s, 10u);
  EXPECT_EQ(cfg->listen.failed_logins.min_delay_ms, 5u);
  EXPECT_EQ(cfg->listen.failed_logins.max_delay_ms, 5u);
  EXPECT_FALSE(cfg->admin.metrics);
  check_error({"unknown failed_logins key",
               yaml(kMinimal) + "listen:\n  failed_logins: { max: 5 }\n",
               11,
               20,
               {"unknown key 'max' in listen.failed_logins",
                "allowed: threshold, min_delay_ms, max_delay_ms, window_s"}});
  check_error({"zero window",
               yaml(kMinimal) + "listen:\n  failed_logins:\n    window_s: 0\n",
               12,
               15,
               {"listen.failed_logins.window_s must be between 1 and 86400"}});
  check_error({"metrics not a bool",
               yaml(kMinimal) + "admin:\n  metrics: sometimes\n",
               11,
               12,
               {"admin.metrics must be true or false"}});
}

TEST(config_loader, slow_log_and_query_stats) {
  {
    auto r = load_string(yaml(kMinimal) +
                             "logging:\n  slow_query_ms: 0\n  slow_log: log/slow.log\n"
                             "  query_stats_size: 0\n",
                         "/etc/shardgate/shardgate.yaml");
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const config>>(r));
    const auto& cfg = std::get<std::shared_ptr<const config>>(r);
    EXPECT_EQ(cfg->logging.slow_query_ms, 0u);
    EXPECT_EQ(cfg->logging.slow_log, "/etc/shardgate/log/slow.log");  // relative to the file
    EXPECT_EQ(cfg->logging.query_stats_size, 0u);
  }
  {
    auto cfg = expect_ok(yaml(kMinimal) +
                         "logging:\n  slow_query_ms: 250\n  slow_log: /var/log/sg-slow.log\n"
                         "  query_stats_size: 1000\n");
    ASSERT_TRUE(cfg);
    EXPECT_EQ(cfg->logging.slow_query_ms, 250u);
    EXPECT_EQ(cfg->logging.slow_log, "/var/log/sg-slow.log");
    EXPECT_EQ(cfg->logging.query_stats_size, 1000u);
  }
  check_error({"empty slow_log",
               yaml(kMinimal) + "logging:\n  slow_log: ''\n",
               11,
               13,
               {"logging.slow_log must not be empty", "main log"}});
  check_error({"slow_query_ms text",
               yaml(kMinimal) + "logging:\n  slow_query_ms: slow\n",
               11,
               18,
               {"logging.slow_query_ms must be an integer"}});
  check_error({"query_stats_size too big",
               yaml(kMinimal) + "logging:\n  query_stats_size: 100001\n",
               11,
               21,
               {"logging.query_stats_size must be between 0 and 100000"}});
  check_error({"unknown logging key",
               yaml(kMinimal) + "logging:\n  slow: 1\n",
               11,
               3,
               {"unknown key 'slow' in logging", "slow_query_ms, slow_log, query_stats_size"}});
}

TEST(config_loader, reload_section) {
  auto cfg = expect_ok(yaml(kMinimal) + "reload:\n  watch: false\n  interval_ms: 100\n");
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(cfg->reload.watch);
  EXPECT_EQ(cfg->reload.interval_ms, 100u);
  check_error({"interval too short",
               yaml(kMinimal) + "reload:\n  interval_ms: 99\n",
               11,
               16,
               {"reload.interval_ms must be between 100 and"}});
  check_error({"watch not a bool",
               yaml(kMinimal) + "reload:\n  watch: often\n",
               11,
               10,
               {"reload.watch must be true or false"}});
  check_error({"unknown reload key",
               yaml(kMinimal) + "reload:\n  signal: HUP\n",
               11,
               3,
               {"unknown key 'signal' in reload (allowed: watch, interval_ms)"}});
  check_error(
      {"reload not a map", yaml(kMinimal) + "reload: true\n", 10, 9, {"reload must be a mapping"}});
}

TEST(config_loader, source_text_and_checksum) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string text = yaml(kMinimal) + "# a comment, kept byte for byte\n";
  auto cfg = expect_ok(text);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->source_text, text);
  EXPECT_EQ(cfg->checksum, sha256_hex(text));
  EXPECT_EQ(cfg->checksum.size(), 64u);
  // A change anywhere (even a comment) changes the checksum.
  auto other = expect_ok(yaml(kMinimal) + "# another comment\n");
  ASSERT_TRUE(other);
  EXPECT_NE(other->checksum, cfg->checksum);

  const std::string path = ::testing::TempDir() + "/sg_checksum_test.yaml";
  const std::string file_text =
      "# CRLF and no newline at the end\r\n" + yaml(kMinimal) + "logging: {}";
  {
    std::ofstream out(path, std::ios::binary);
    out << file_text;
  }
  auto r = load_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const config>>(r))
      << std::get<load_error>(r).to_string();
  const auto& loaded = std::get<std::shared_ptr<const config>>(r);
  EXPECT_EQ(loaded->source_text, file_text);
  EXPECT_EQ(loaded->checksum, sha256_hex(file_text));
}

}  // namespace
}  // namespace shardgate::config
