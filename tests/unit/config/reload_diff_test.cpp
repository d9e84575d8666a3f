// admin::describe_reload (shardgate check-config --diff, POST /reload): YAML differences,
// restart-only settings and sample keys routed through both configurations.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admin/config_diff.hpp"
#include "config/loader.hpp"
#include "routing/dates.hpp"

namespace shardgate::admin {
namespace {

std::string source_dir() {
  const std::string f = __FILE__;
  const std::size_t at = f.rfind("tests/unit/config/");
  return at == std::string::npos || at == 0 ? std::string(".") : f.substr(0, at - 1);
}

std::shared_ptr<const config::config> load_file(const std::string& name) {
  auto r = config::load_file(source_dir() + "/tests/unit/config/data/" + name);
  if (auto* e = std::get_if<config::load_error>(&r)) {
    ADD_FAILURE() << e->to_string();
    return nullptr;
  }
  return std::get<std::shared_ptr<const config::config>>(r);
}

std::shared_ptr<const config::config> load(const std::string& text) {
  auto r = config::load_string(text, "test.yaml");
  if (auto* e = std::get_if<config::load_error>(&r)) {
    ADD_FAILURE() << e->to_string();
    return nullptr;
  }
  return std::get<std::shared_ptr<const config::config>>(r);
}

reload_diff_options on_day(int y, unsigned m, unsigned d) {
  reload_diff_options o;
  o.today = routing::days_from_civil(y, m, d);
  return o;
}

TEST(describe_reload, identical_files) {
  auto a = load_file("diff-old.yaml");
  ASSERT_TRUE(a);
  EXPECT_EQ(describe_reload(*a, *a), "no changes\n");
}

TEST(describe_reload, settings_restart_and_routing) {
  auto a = load_file("diff-old.yaml");
  auto b = load_file("diff-new.yaml");
  ASSERT_TRUE(a && b);
  // Orders dated 2026-12-01 .. 2026-12-04 (of the 8 days sampled: the generation's start
  // +-3 and today) move where seq % 2 != seq % 3: 83 of the 125 seqs a day.
  EXPECT_EQ(describe_reload(*a, *b, on_day(2026, 6, 1)),
            "~ listen.port: 6033 -> 6034\n"
            "+ users[name=app].rate_limit: {queries_per_second: 500, burst: 100}\n"
            "+ users[1] (name: reports)\n"
            "~ clusters.shard0.readers: [127.0.0.1:3321] -> [127.0.0.1:3321, 127.0.0.1:3322]\n"
            "~ clusters.shard1.password: (changed)\n"
            "~ schemas.shop.tables.orders.generations[0].shards: [shard0, shard1] -> [shard0, "
            "shard1, shard2]\n"
            "- schemas.shop.tables.coupons: {shard_key: code, key: string, strategy: {kind: "
            "hash, function: crc32, shards: [shard0, shard1]}}\n"
            "! listen.port changes only on restart\n"
            "table shop.orders: 332 of 1000 sample keys route differently, e.g. "
            "'ORD2026120100000002': shard0 -> shard2\n"
            "= routing: 2 sharded tables compared with sample keys, 1 route differently\n");
  // The other way round: the same keys move back.
  const std::string back = describe_reload(*b, *a, on_day(2026, 6, 1));
  EXPECT_NE(back.find("table shop.orders: 332 of 1000 sample keys route differently, e.g. "
                      "'ORD2026120100000002': shard2 -> shard0\n"),
            std::string::npos)
      << back;
}

TEST(describe_reload, extra_keys) {
  auto a = load_file("diff-old.yaml");
  auto b = load_file("diff-new.yaml");
  ASSERT_TRUE(a && b);
  auto options = on_day(2026, 6, 1);
  options.extra_keys = {"# comment",
                        "",
                        "shop.orders ORD2026120500000005",
                        "  shop.members 42\r",
                        "orders ORD2026120500000006",
                        "shop.nope 1",
                        "justonefield"};
  const std::string out = describe_reload(*a, *b, options);
  for (const char* want : {
           // 2026-12-05 is not among the sampled days: one more key, and it moves.
           "table shop.orders: 333 of 1002 sample keys route differently",
           "key shop.orders 'ORD2026120500000005': shard1 -> shard2\n",
           "key shop.orders 'ORD2026120500000006': shard0 (unchanged)\n",
           "key shop.members '42': shard0 (unchanged)\n",
           "? key '1': shop.nope is not a sharded table in both configurations\n",
           "? key 'justonefield': expected 'schema.table key'\n",
       })
    EXPECT_NE(out.find(want), std::string::npos) << want << "\nin:\n" << out;
}

const char* const kClusters = R"(
users: [{ name: app, password: app }]
clusters:
  s0: { writer: 127.0.0.1:3306, user: app }
  s1: { writer: 127.0.0.1:3307, user: app }
  s2: { writer: 127.0.0.1:3308, user: app }
default_cluster: s0
)";

TEST(describe_reload, strategies) {
  auto a = load(std::string(kClusters) + R"(
lookups:
  dir: { entries: { WELCOME10: s1, BLACKFRIDAY: s2 } }
schemas:
  shop:
    tables:
      members:
        shard_key: id
        strategy: { kind: range, ranges: [{ below: 1000000, cluster: s0 }, { cluster: s1 }] }
      coupons: { shard_key: code, key: string, strategy: { kind: directory, lookup: dir } }
      days:
        shard_key: d
        key: date
        strategy: { kind: hash, function: crc32, shards: [s0, s1] }
      shops: { broadcast: true }
      unchanged: { shard_key: id, strategy: { kind: hash, shards: [s0, s1] } }
      odd:
        shard_key: k
        key: { kind: order_number, pattern: '^(?<seq>[A-F]{4})$' }
        strategy: { kind: hash, function: crc32, shards: [s0, s1] }
)");
  auto b = load(std::string(kClusters) + R"(
lookups:
  dir: { entries: { WELCOME10: s2, BLACKFRIDAY: s2, NEWYEAR: s0 } }
schemas:
  shop:
    tables:
      members:
        shard_key: id
        strategy: { kind: range, ranges: [{ below: 1500000, cluster: s0 }, { cluster: s1 }] }
      coupons: { shard_key: code, key: string, strategy: { kind: directory, lookup: dir } }
      days:
        shard_key: d
        key: date
        strategy: { kind: hash, function: crc32, shards: [s0, s1] }
        generations: [{ since: 2021-01-01, shards: [s0, s1, s2] }]
      shops: { shard_key: id, strategy: { kind: hash, shards: [s0, s1] } }
      unchanged: { shard_key: id, strategy: { kind: hash, shards: [s0, s1] } }
      odd:
        shard_key: k
        key: { kind: order_number, pattern: '^(?<seq>[A-F]{4})$' }
        strategy: { kind: hash, function: crc32, shards: [s0, s2] }
)");
  ASSERT_TRUE(a && b);
  const std::string out = describe_reload(*a, *b, on_day(2026, 6, 1));
  for (const char* want : {
           // The range bound moved: the keys between old and new bound (and the bounds).
           "table shop.members: ",
           "sample keys route differently, e.g. '1000000': s1 -> s0\n",
           // Directory: the entries of both lookups are sampled.
           "table shop.coupons: 2 of 1003 sample keys route differently, e.g. 'WELCOME10': "
           "s1 -> s2\n",
           // Dates: 1000 days from 2020-01-01 and around the new generation.
           "table shop.days: ",
           "table shop.shops: now sharded (was a broadcast table); rows are placed differently\n",
           "table shop.odd: not compared (cannot build sample keys from pattern "
           "'^(?<seq>[A-F]{4})$')\n",
           "= routing: 4 sharded tables compared with sample keys, 3 route differently\n",
       })
    EXPECT_NE(out.find(want), std::string::npos) << want << "\nin:\n" << out;
  EXPECT_EQ(out.find("table shop.unchanged"), std::string::npos) << out;
}

TEST(sample_keys, by_key_kind) {
  auto cfg = load(std::string(kClusters) + R"(
schemas:
  shop:
    tables:
      ints: { shard_key: id, strategy: { kind: hash, shards: [s0, s1] } }
      strs: { shard_key: id, key: string, strategy: { kind: hash, function: crc32, shards: [s0] } }
      dates: { shard_key: d, key: date, strategy: { kind: hash, function: crc32, shards: [s0] } }
      orders:
        shard_key: o
        key: { kind: order_number, pattern: '^ORD-(?<date>\d{4}-\d{2}-\d{2})-(?<seq>\d+)$' }
        strategy: { kind: hash, function: modulo, shards: [s0, s1] }
        generations: [{ since: 2026-12-01, shards: [s0, s1, s2] }]
      invoices:
        shard_key: i
        key: { kind: order_number, pattern: '^INV(?<date>\d{8})[A-Z]{2}$' }
        strategy: { kind: hash, function: crc32, shards: [s0, s1] }
)");
  ASSERT_TRUE(cfg);
  const auto& tables = cfg->schemas[0].tables;
  const std::int32_t today = routing::days_from_civil(2026, 6, 1);
  std::string note;
  auto ints = sample_keys(*cfg, tables[0], today, note);
  EXPECT_EQ(ints.size(), 2000u);
  EXPECT_EQ(ints[0], "0");
  EXPECT_EQ(ints[999], "999");
  EXPECT_EQ(ints[1000], std::to_string(7919ull * 1000003ull));
  auto strs = sample_keys(*cfg, tables[1], today, note);
  ASSERT_EQ(strs.size(), 1000u);
  EXPECT_EQ(strs[0], "key0");
  EXPECT_EQ(strs[999], "key999");
  auto dates = sample_keys(*cfg, tables[2], today, note);
  ASSERT_EQ(dates.size(), 1001u);  // 1000 days and today
  EXPECT_EQ(dates[0], "2020-01-01");
  EXPECT_EQ(dates[999], "2022-09-26");
  EXPECT_EQ(dates[1000], "2026-06-01");
  auto orders = sample_keys(*cfg, tables[3], today, note);
  EXPECT_TRUE(note.empty()) << note;
  ASSERT_EQ(orders.size(), 8u * 125u);
  EXPECT_EQ(orders[0], "ORD-2026-06-01-0");
  EXPECT_EQ(orders[125], "ORD-2026-11-28-0");
  EXPECT_EQ(orders.back(), "ORD-2026-12-04-124");
  auto invoices = sample_keys(*cfg, tables[4], today, note);
  EXPECT_TRUE(note.empty()) << note;
  ASSERT_EQ(invoices.size(), 1001u);
  EXPECT_EQ(invoices[0], "INV20200101AA");
}

}  // namespace
}  // namespace shardgate::admin
