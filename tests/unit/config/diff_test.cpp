// What a reload changes: YAML differences (secrets hidden) and restart-only settings.
#include "config/diff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.hpp"

namespace shardgate::config {
namespace {

using lines = std::vector<std::string>;

TEST(yaml_differences, equal_documents_have_none) {
  EXPECT_EQ(yaml_differences("a: 1\nb: [x, y]\n", "a: 1\nb: [x, y]\n"), lines{});
  // Formatting, comments, key order and flow/block style do not count.
  EXPECT_EQ(yaml_differences("a: 1\nb: {c: 2, d: 3}\n", "# hi\nb:\n  d: 3\n  c: 2\na: '1'\n"),
            lines{});
}

TEST(yaml_differences, scalars_maps_and_lists) {
  const std::string old_text = R"(
listen: { port: 6033, address: 127.0.0.1 }
clusters:
  shard0: { writer: 127.0.0.1:3307, readers: [127.0.0.1:3307], pool: { min_idle: 1 } }
  shard1: { writer: 127.0.0.1:3309 }
schemas:
  shop:
    tables:
      orders: { shard_key: order_no }
      coupons: { shard_key: code }
)";
  const std::string new_text = R"(
listen: { port: 6034, address: 127.0.0.1 }
clusters:
  shard0: { writer: 127.0.0.1:3307, readers: [127.0.0.1:3307, 127.0.0.1:3308] }
  shard1: { writer: 127.0.0.1:3309 }
  shard2: { writer: 127.0.0.1:3310 }
schemas:
  shop:
    tables:
      orders: { shard_key: order_id }
logging: { level: debug }
)";
  EXPECT_EQ(yaml_differences(old_text, new_text),
            (lines{
                "~ listen.port: 6033 -> 6034",
                "~ clusters.shard0.readers: [127.0.0.1:3307] -> [127.0.0.1:3307, 127.0.0.1:3308]",
                "- clusters.shard0.pool: {min_idle: 1}",
                "+ clusters.shard2: {writer: 127.0.0.1:3310}",
                "~ schemas.shop.tables.orders.shard_key: order_no -> order_id",
                "- schemas.shop.tables.coupons: {shard_key: code}",
                "+ logging: {level: debug}",
            }));
}

TEST(yaml_differences, named_list_items_match_by_name) {
  const std::string old_text = R"(
users:
  - { name: app, password: a, default_schema: shop }
  - { name: old, password: b }
)";
  const std::string new_text = R"(
users:
  - { name: reports, password: c }
  - { name: app, password: a, default_schema: crm }
)";
  EXPECT_EQ(yaml_differences(old_text, new_text),
            (lines{
                "~ users[name=app].default_schema: shop -> crm",
                "- users[1] (name: old)",
                "+ users[0] (name: reports)",
            }));
}

TEST(yaml_differences, secrets_are_never_shown) {
  const std::string old_text = R"(
users:
  - { name: app, password: old-user-secret }
clusters:
  shard0: { writer: 127.0.0.1:3307, password: old-cluster-secret }
  shard1: { writer: 127.0.0.1:3308 }
)";
  const std::string new_text = R"(
users:
  - { name: app, password_hash: "*6D8E7CA2D13CBEBC74BE7EF3A2976000952DCE92" }
clusters:
  shard0: { writer: 127.0.0.1:3307, password: new-cluster-secret }
  shard1: { writer: 127.0.0.1:3308, password: added-secret }
  shard2: { writer: 127.0.0.1:3309, password: another-secret }
)";
  const lines got = yaml_differences(old_text, new_text);
  EXPECT_EQ(got, (lines{
                     "- users[name=app].password",
                     "+ users[name=app].password_hash",
                     "~ clusters.shard0.password: (changed)",
                     "+ clusters.shard1.password",
                     "+ clusters.shard2: {writer: 127.0.0.1:3309, password: <redacted>}",
                 }));
  for (const auto& line : got)
    for (const char* secret : {"secret", "6D8E7CA2"})
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
}

TEST(yaml_differences, sha256_hashes_and_aliased_secrets_are_never_shown) {
  const std::string old_text =
      "users:\n  - { name: a, password_sha256: \"$5$salt$OLDHASH\" }\n"
      "clusters:\n  c: { password: &pw old-secret, user: app }\n";
  const std::string new_text =
      "users:\n  - { name: a, password_sha256: \"$5$salt$NEWHASH\" }\n"
      "clusters:\n  c: { password: &pw new-secret, user: *pw }\n"
      "  d: { password_file: /run/d, names: [x, *pw] }\n";
  const lines got = yaml_differences(old_text, new_text);
  EXPECT_EQ(got, (lines{
                     "~ users[name=a].password_sha256: (changed)",
                     "~ clusters.c.password: (changed)",
                     "~ clusters.c.user: (changed)",
                     "+ clusters.d: {password_file: /run/d, names: [x, <redacted>]}",
                 }));
  for (const auto& line : got)
    for (const char* secret : {"HASH", "secret"})
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
}

TEST(yaml_differences, lists_of_unnamed_mappings_by_position) {
  const std::string old_text =
      "generations:\n  - { since: 2026-01-01, shards: [a, b] }\n"
      "readers: [h:1, { endpoint: h:2, weight: 1 }]\n";
  const std::string new_text =
      "generations:\n  - { since: 2026-01-01, shards: [a, b, c] }\n"
      "  - { since: 2027-01-01, shards: [a, b, c, d] }\n"
      "readers: [h:1, { endpoint: h:2, weight: 3 }]\n";
  EXPECT_EQ(yaml_differences(old_text, new_text),
            (lines{
                "~ generations[0].shards: [a, b] -> [a, b, c]",
                "+ generations[1]: {since: 2027-01-01, shards: [a, b, c, d]}",
                "~ readers[1].weight: 1 -> 3",
            }));
}

TEST(yaml_differences, long_values_and_odd_keys) {
  std::string old_list = "shards: [", new_list = "shards: [";
  for (int i = 0; i < 40; ++i) {
    old_list += (i ? ", s" : "s") + std::to_string(i);
    if (i != 7) new_list += (i ? ", s" : "s") + std::to_string(i);
  }
  new_list += ", s40, s41]\n";
  old_list += "]\n";
  EXPECT_EQ(yaml_differences(old_list, new_list),
            lines{"~ shards: added [s40, s41], removed [s7]"});
  EXPECT_EQ(yaml_differences("entries: { a.b: x, 'k y': 1 }\n", "entries: { a.b: z, 'k y': 2 }\n"),
            (lines{"~ entries['a.b']: x -> z", "~ entries['k y']: 1 -> 2"}));
  EXPECT_EQ(yaml_differences("a: [x, y]\n", "a: {x: y}\n"), lines{"~ a: [x, y] -> {x: y}"});
  EXPECT_EQ(yaml_differences("a: 'with, comma'\n", "a: ''\n"), lines{"~ a: 'with, comma' -> ''"});
  EXPECT_EQ(yaml_differences("a:\n", "a: 1\n"), lines{"~ a: null -> 1"});
}

TEST(yaml_differences, unparsable_text) {
  const lines got = yaml_differences("a: 1\n", "a: [\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].rfind("! cannot compare: the new configuration does not parse", 0), 0u)
      << got[0];
}

std::shared_ptr<const config> load(const std::string& text, const std::string& name) {
  auto r = load_string(text, name);
  if (auto* e = std::get_if<load_error>(&r)) {
    ADD_FAILURE() << e->to_string();
    return nullptr;
  }
  return std::get<std::shared_ptr<const config>>(r);
}

const char* const kBase =
    "users: [{ name: app, password: app }]\n"
    "clusters: { main: { writer: 127.0.0.1:3306, user: app } }\n"
    "default_cluster: main\n";

TEST(restart_only_changes, lists_the_settings_a_reload_cannot_apply) {
  auto a = load(kBase, "/etc/sg/a.yaml");
  ASSERT_TRUE(a);
  EXPECT_EQ(restart_only_changes(*a, *a), lines{});
  // Written out with the default values: nothing changes.
  auto same =
      load(std::string(kBase) + "listen: { port: 6033, address: 127.0.0.1 }\n", "/etc/sg/b.yaml");
  ASSERT_TRUE(same);
  EXPECT_EQ(restart_only_changes(*a, *same), lines{});
  auto b =
      load(std::string(kBase) +
               "listen: { address: 0.0.0.0, port: 7000, workers: 2, max_client_connections: 5 }\n"
               "admin: { enabled: false, address: '::1', port: 9999 }\n"
               "transactions: { xa_log: xa.log, xa_name: gate2 }\n"
               "logging: { level: debug }\n",
           "/etc/sg/b.yaml");
  ASSERT_TRUE(b);
  EXPECT_EQ(restart_only_changes(*a, *b),
            (lines{"listen.address", "listen.port", "listen.workers", "admin.address", "admin.port",
                   "admin.enabled", "transactions.xa_log", "transactions.xa_name"}));
}

}  // namespace
}  // namespace shardgate::config
