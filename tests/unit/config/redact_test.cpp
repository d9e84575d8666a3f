// GET /config: the configuration text with password and password_hash values hidden.
#include "config/redact.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace shardgate::config {
namespace {

const char* const kWithSecrets = R"(# comment
listen: { port: 6033 }
users:
  - name: app
    password: app-plain-secret
    default_schema: shop
  - name: svc
    password_hash: "*6D8E7CA2D13CBEBC74BE7EF3A2976000952DCE92"
  - name: ops
    password_env: OPS_PASSWORD
clusters:
  shard0: { writer: 127.0.0.1:3311, user: app, password: cluster-secret-0 }
  shard1:
    writer: 127.0.0.1:3312
    user: app
    password: "cluster secret: 1"
    readers: [127.0.0.1:3313]
default_cluster: shard0
)";

TEST(redacted_yaml, hides_passwords_and_hashes_everywhere) {
  const std::string out = redacted_yaml(kWithSecrets);
  ASSERT_FALSE(out.empty());
  for (const char* secret : {"app-plain-secret", "6D8E7CA2D13CBEBC74BE7EF3A2976000952DCE92",
                             "cluster-secret-0", "cluster secret"})
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in:\n" << out;
  const YAML::Node root = YAML::Load(out);
  EXPECT_EQ(root["users"][0]["password"].as<std::string>(), "<redacted>");
  EXPECT_EQ(root["users"][1]["password_hash"].as<std::string>(), "<redacted>");
  EXPECT_EQ(root["clusters"]["shard0"]["password"].as<std::string>(), "<redacted>");
  EXPECT_EQ(root["clusters"]["shard1"]["password"].as<std::string>(), "<redacted>");
  // Everything else is kept, password_env included (it names a variable).
  EXPECT_EQ(root["users"][2]["password_env"].as<std::string>(), "OPS_PASSWORD");
  EXPECT_EQ(root["users"][0]["name"].as<std::string>(), "app");
  EXPECT_EQ(root["users"][0]["default_schema"].as<std::string>(), "shop");
  EXPECT_EQ(root["listen"]["port"].as<int>(), 6033);
  EXPECT_EQ(root["clusters"]["shard1"]["readers"][0].as<std::string>(), "127.0.0.1:3313");
  EXPECT_EQ(root["default_cluster"].as<std::string>(), "shard0");
}

TEST(redacted_yaml, secrets_nested_at_any_depth_and_empty_ones) {
  const std::string out = redacted_yaml(
      "a:\n  b:\n    - c: { password: deep-secret, other: kept }\n"
      "empty:\n  password:\n  password_hash: ''\n");
  const YAML::Node root = YAML::Load(out);
  EXPECT_EQ(out.find("deep-secret"), std::string::npos) << out;
  EXPECT_EQ(root["a"]["b"][0]["c"]["password"].as<std::string>(), "<redacted>");
  EXPECT_EQ(root["a"]["b"][0]["c"]["other"].as<std::string>(), "kept");
  EXPECT_EQ(root["empty"]["password"].as<std::string>(), "<redacted>");
  EXPECT_EQ(root["empty"]["password_hash"].as<std::string>(), "<redacted>");
}

TEST(redacted_yaml, aliased_secret_is_hidden_everywhere) {
  const std::string out =
      redacted_yaml("clusters:\n  a: { password: &pw shared-secret }\n  b: { user: *pw }\n");
  EXPECT_EQ(out.find("shared-secret"), std::string::npos) << out;
}

TEST(redacted_yaml, invalid_yaml_gives_empty_text) {
  EXPECT_EQ(redacted_yaml("users: [unclosed\n"), "");
  EXPECT_EQ(redacted_yaml("a: b: c\n"), "");
  EXPECT_EQ(redacted_yaml("password: *undefined_anchor\n"), "");
}

TEST(redacted_yaml, sha256_hashes_hidden_files_and_tls_paths_kept) {
  const std::string out = redacted_yaml(
      "users:\n  - name: a\n    auth: caching_sha2_password\n"
      "    password_sha256: \"$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA\"\n"
      "  - name: b\n    password_file: /run/secrets/b\n"
      "listen: {tls: {cert: c.pem, key: k.pem}}\n");
  EXPECT_EQ(out.find("0IyaXrmV7"), std::string::npos) << out;
  const YAML::Node root = YAML::Load(out);
  EXPECT_EQ(root["users"][0]["password_sha256"].as<std::string>(), "<redacted>");
  EXPECT_EQ(root["users"][0]["auth"].as<std::string>(), "caching_sha2_password");
  EXPECT_EQ(root["users"][1]["password_file"].as<std::string>(), "/run/secrets/b");
  EXPECT_EQ(root["listen"]["tls"]["key"].as<std::string>(), "k.pem");  // a path, not a secret
}

TEST(redacted_yaml, secret_keys) {
  EXPECT_TRUE(is_secret_key("password"));
  EXPECT_TRUE(is_secret_key("password_hash"));
  EXPECT_TRUE(is_secret_key("password_sha256"));
  EXPECT_FALSE(is_secret_key("password_env"));
  EXPECT_FALSE(is_secret_key("password_file"));
  EXPECT_FALSE(is_secret_key("user"));
}

}  // namespace
}  // namespace shardgate::config
