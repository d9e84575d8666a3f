// Placement of sharded tables, strategy by strategy, through routing::table_placement and the
// key readers (read_key for SQL literal tokens, read_key_text for plain text), plus the
// spread of a million keys over the shards.
#include "routing/placement.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/loader.hpp"
#include "routing/dates.hpp"
#include "routing/hashing.hpp"

namespace shardgate::routing {
namespace {

const char* const placement_yaml = R"(
users: [{name: app, password: app}]
clusters:
  s0: {writer: 127.0.0.1:1, user: u}
  s1: {writer: 127.0.0.1:2, user: u}
  s2: {writer: 127.0.0.1:3, user: u}
  s3: {writer: 127.0.0.1:4, user: u}
default_cluster: s0
lookups:
  tiers:
    entries: {Gold: s1, silver: s2, BRONZE: s3, "Pl\u00e4tin": s0}
schemas:
  p:
    tables:
      orders_mod:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: modulo, shards: [s0, s1, s2, s3]}
      orders_gen:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: modulo, shards: [s0, s1]}
        generations:
          - {since: 2026-12-01, shards: [s0, s1, s2, s3]}
      orders_crc:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: crc32, shards: [s0, s1, s2, s3]}
      orders_gen_buckets:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy: {kind: hash, function: xxhash64, shards: [s0, s1], buckets: 8}
        generations:
          - {since: 2026-12-01, shards: [s0, s1, s2, s3]}
      orders_range:
        shard_key: order_no
        key: {kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$'}
        strategy:
          kind: range
          ranges: [{below: 2025-01-01, cluster: s0}, {below: 2026-01-01, cluster: s1}, {cluster: s2}]
      codes_range:
        shard_key: code
        key: {kind: order_number, pattern: '^[A-Z]{2}(?<date>\d{8})(?<seq>\d{4})$'}
        strategy:
          kind: range
          ranges: [{below: 2025-01-01, cluster: s0}, {below: 2026-01-01, cluster: s1}, {cluster: s2}]
      tickets:
        shard_key: ticket
        key: {kind: order_number, pattern: '^T(?<date>\d{8})-(?<seq>\w+)$'}
        strategy: {kind: hash, function: modulo, shards: [s0, s1]}
      accounts:
        shard_key: id
        key: integer
        strategy: {kind: hash, function: modulo, shards: [s0, s1, s2, s3]}
      names_crc:
        shard_key: name
        key: string
        strategy: {kind: hash, function: crc32, shards: [s0, s1, s2]}
      names_xxh:
        shard_key: name
        key: string
        strategy: {kind: hash, function: xxhash64, shards: [s0, s1, s2, s3]}
      names_exact:
        shard_key: name
        key: {kind: string, case_sensitive: true}
        strategy: {kind: hash, function: crc32, shards: [s0, s1, s2, s3]}
      names_buckets:
        shard_key: name
        key: string
        strategy: {kind: hash, function: xxhash64, shards: [s0, s1, s2], buckets: 8}
      names_bucket_map:
        shard_key: name
        key: string
        strategy:
          kind: hash
          function: crc32
          shards: [s0, s1, s2]
          buckets: 4
          bucket_map: {s2: ['0'], s0: ['1-2'], s1: ['3']}
      members:
        shard_key: member_id
        key: integer
        strategy:
          kind: range
          ranges: [{below: -100, cluster: s0}, {below: 0, cluster: s1}, {below: 1000, cluster: s2}, {cluster: s3}]
      members_closed:
        shard_key: member_id
        key: integer
        strategy: {kind: range, ranges: [{below: 10, cluster: s0}, {below: 20, cluster: s1}]}
      words:
        shard_key: word
        key: string
        strategy: {kind: range, ranges: [{below: 'H', cluster: s0}, {below: p, cluster: s1}, {cluster: s2}]}
      events:
        shard_key: day
        key: date
        strategy:
          kind: range
          ranges: [{below: 2025-01-01, cluster: s0}, {below: 2026-01-01, cluster: s1}, {cluster: s2}]
      levels:
        shard_key: tier
        key: string
        strategy: {kind: directory, lookup: tiers}
      levels_exact:
        shard_key: tier
        key: {kind: string, case_sensitive: true}
        strategy: {kind: directory, lookup: tiers}
)";

class placement_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = config::load_string(placement_yaml, "placement.yaml");
    if (auto* e = std::get_if<config::load_error>(&r)) FAIL() << e->to_string();
    cfg_ = std::get<std::shared_ptr<const config::config>>(r);
  }
  static void TearDownTestSuite() { cfg_.reset(); }

  const config::table_config& table(std::string_view name) const {
    const auto* t = cfg_->find_schema("p")->find_table(name);
    EXPECT_NE(t, nullptr) << name;
    return *t;
  }
  table_placement placement(std::string_view name) const {
    return table_placement(table(name), *cfg_);
  }
  int cluster(std::string_view name) const { return cfg_->cluster_index(name); }
  std::string names(const std::vector<int>& clusters) const {
    std::vector<std::string> n;
    for (int c : clusters) n.push_back(cfg_->clusters[c].name);
    std::sort(n.begin(), n.end());
    std::string out;
    for (auto& s : n) out += (out.empty() ? "" : ",") + s;
    return out;
  }
  // Where a key given as text lives: a cluster name, "mismatch", "cannot_tell", "null" or
  // "none" (no cluster holds it).
  std::string where(std::string_view table_name, std::string_view key) const {
    const auto p = placement(table_name);
    key_value kv;
    switch (read_key_text(table(table_name).key, key, kv)) {
      case key_read::ok:
        break;
      case key_read::null_key:
        return "null";
      case key_read::cannot_tell:
        return "cannot_tell";
      case key_read::mismatch:
        return "mismatch";
    }
    std::string why;
    const int c = p.place(kv, why);
    if (c < 0) return "none";
    return cfg_->clusters[c].name;
  }
  std::string span(std::string_view table_name, std::string_view lo, std::string_view hi) const {
    const auto p = placement(table_name);
    key_value a, b;
    EXPECT_EQ(read_key_text(table(table_name).key, lo, a), key_read::ok) << lo;
    EXPECT_EQ(read_key_text(table(table_name).key, hi, b), key_read::ok) << hi;
    std::vector<int> out;
    p.place_span(a, b, out);
    return names(out);
  }

  static std::shared_ptr<const config::config> cfg_;
};

std::shared_ptr<const config::config> placement_test::cfg_;

// "ORD" + YYYYMMDD + 8-digit seq, without allocating per key.
void order_number(std::string& out, std::string_view day, std::uint32_t seq) {
  out.assign("ORD");
  out.append(day);
  char digits[8];
  for (int k = 7; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + seq % 10);
    seq /= 10;
  }
  out.append(digits, 8);
}

TEST_F(placement_test, modulo_over_the_seq_of_order_numbers) {
  EXPECT_EQ(where("orders_mod", "ORD2026112200000001"), "s1");
  EXPECT_EQ(where("orders_mod", "ORD2026112200000002"), "s2");
  EXPECT_EQ(where("orders_mod", "ORD2026112200000003"), "s3");
  EXPECT_EQ(where("orders_mod", "ORD2026112200000004"), "s0");
  EXPECT_EQ(where("orders_mod", "ORD2026112200000000"), "s0");
  EXPECT_EQ(where("orders_mod", "ORD2026112299999999"), "s3");  // 99999999 % 4
  // The date does not matter to modulo (no generations).
  EXPECT_EQ(where("orders_mod", "ORD1999010100000005"), "s1");
  const auto p = placement("orders_mod");
  key_value kv;
  ASSERT_EQ(read_key_text(table("orders_mod").key, "ORD2026112200000006", kv), key_read::ok);
  EXPECT_EQ(kv.number, 6);
  EXPECT_EQ(kv.date, *parse_date("20261122"));
  EXPECT_EQ(kv.text, "ORD2026112200000006");
  EXPECT_EQ(p.explain(kv), "hash modulo of seq 6 % 4 shards = 2");
  EXPECT_EQ(names(p.clusters()), "s0,s1,s2,s3");
}

TEST_F(placement_test, crc32_and_xxhash64_of_the_canonical_text) {
  // Known outputs: crc32("abc") = 0x352441C2, crc32("123456789") = 0xCBF43926,
  // crc32("silver") = 0x2F5B185B, crc32("ORD2026112200000001") = 0xE494F3E9;
  // xxh64("abc") = 0x44BC2CF5AD770999, xxh64("a") = 0xD24EC4F1A98C6E5B,
  // xxh64("") = 0xEF46DB3751D8E999.
  auto shard = [](std::uint64_t hash, std::uint64_t shards) {
    return "s" + std::to_string(hash % shards);
  };
  EXPECT_EQ(where("names_crc", "abc"), shard(0x352441C2u, 3));
  EXPECT_EQ(where("names_crc", "123456789"), shard(0xCBF43926u, 3));
  EXPECT_EQ(where("names_crc", "silver"), shard(0x2F5B185Bu, 3));
  // Case-insensitive keys hash their folded text: ASCII lower case, no trailing spaces.
  EXPECT_EQ(where("names_crc", "ABC"), shard(0x352441C2u, 3));
  EXPECT_EQ(where("names_crc", "aBc   "), shard(0x352441C2u, 3));
  EXPECT_EQ(where("names_xxh", "abc"), shard(0x44BC2CF5AD770999ull, 4));
  EXPECT_EQ(where("names_xxh", "A"), shard(0xD24EC4F1A98C6E5Bull, 4));
  EXPECT_EQ(where("names_xxh", ""), shard(0xEF46DB3751D8E999ull, 4));
  EXPECT_EQ(where("names_xxh", "  "), shard(0xEF46DB3751D8E999ull, 4));
  // Case-sensitive keys hash their bytes as they are (crc32("ABC") = 0xA3830348).
  EXPECT_EQ(where("names_exact", "abc"), shard(0x352441C2u, 4));
  EXPECT_EQ(where("names_exact", "ABC"), shard(0xA3830348u, 4));
  // Order numbers hash their whole text.
  EXPECT_EQ(where("orders_crc", "ORD2026112200000001"), shard(0xE494F3E9u, 4));
  key_value kv;
  ASSERT_EQ(read_key_text(table("names_crc").key, "ABC", kv), key_read::ok);
  EXPECT_EQ(kv.text, "abc");
  EXPECT_EQ(placement("names_crc").explain(kv),
            "hash crc32 of 'abc' = " + std::to_string(0x352441C2u) + " % 3 shards = 0");
}

TEST_F(placement_test, case_insensitive_strings_beyond_ascii_cannot_be_told) {
  // A _ci collation equates more than ASCII case (e = é = É, ß = ss) and ignores some
  // control characters: those keys are not read.
  key_value kv;
  const auto& key = table("names_xxh").key;
  EXPECT_EQ(read_key_text(key, "caf\xC3\xA9", kv), key_read::cannot_tell);
  EXPECT_EQ(read_key_text(key,
                          "stra\xC3\x9F"
                          "e",
                          kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key_text(key, "tab\there", kv), key_read::cannot_tell);
  EXPECT_EQ(read_key_text(key, std::string_view("nul\0", 4), kv), key_read::cannot_tell);
  EXPECT_EQ(read_key_text(key, "del\x7f", kv), key_read::cannot_tell);
  EXPECT_EQ(read_key_text(key, "plain ascii ~!@#$%^&*()", kv), key_read::ok);
  // Case-sensitive keys compare bytes: any byte is read.
  EXPECT_EQ(read_key_text(table("names_exact").key, "caf\xC3\xA9", kv), key_read::ok);
  EXPECT_EQ(kv.text, "caf\xC3\xA9");
}

TEST_F(placement_test, virtual_buckets_default_contiguous_map) {
  // 8 buckets over 3 shards: bucket b -> shard b * 3 / 8 = 0 0 0 1 1 1 2 2.
  const std::array<int, 8> shard_of_bucket = {0, 0, 0, 1, 1, 1, 2, 2};
  EXPECT_EQ(where("names_buckets", "abc"),
            "s" + std::to_string(shard_of_bucket[0x44BC2CF5AD770999ull % 8]));
  EXPECT_EQ(where("names_buckets", "a"),
            "s" + std::to_string(shard_of_bucket[0xD24EC4F1A98C6E5Bull % 8]));
  const auto p = placement("names_buckets");
  key_value kv;
  std::string why;
  std::array<int, 3> seen{};
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "user-" + std::to_string(i);
    ASSERT_EQ(read_key_text(table("names_buckets").key, key, kv), key_read::ok);
    const int expect = cluster("s" + std::to_string(shard_of_bucket[xxhash64(key) % 8]));
    ASSERT_EQ(p.place(kv, why), expect) << key;
    ++seen[static_cast<std::size_t>(expect)];
  }
  for (int n : seen) EXPECT_GT(n, 0);
  ASSERT_EQ(read_key_text(table("names_buckets").key, "abc", kv), key_read::ok);
  EXPECT_NE(p.explain(kv).find("bucket 1 of 8"), std::string::npos) << p.explain(kv);
}

TEST_F(placement_test, virtual_buckets_explicit_map) {
  // bucket_map {s2: [0], s0: [1-2], s1: [3]}; crc32 % 4 picks the bucket.
  EXPECT_EQ(where("names_bucket_map", "abc"), "s0");     // 0x352441C2 % 4 = 2
  EXPECT_EQ(where("names_bucket_map", "gold"), "s0");    // 0x47A91D51 % 4 = 1
  EXPECT_EQ(where("names_bucket_map", "silver"), "s1");  // 0x2F5B185B % 4 = 3
  EXPECT_EQ(where("names_bucket_map", "key-2"), "s2");   // 0x97E5EEC0 % 4 = 0
  EXPECT_EQ(where("names_bucket_map", "Key-2 "), "s2");
  const std::array<const char*, 4> by_bucket = {"s2", "s0", "s0", "s1"};
  for (int i = 0; i < 500; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(where("names_bucket_map", key), by_bucket[crc32(key) % 4]) << key;
  }
  EXPECT_EQ(names(placement("names_bucket_map").clusters()), "s0,s1,s2");
}

TEST_F(placement_test, generations_switch_exactly_at_the_cut_over) {
  // Base [s0, s1]; since 2026-12-01 [s0, s1, s2, s3].
  EXPECT_EQ(where("orders_gen", "ORD2026113000000003"), "s1");  // the day before: 3 % 2
  EXPECT_EQ(where("orders_gen", "ORD2026120100000003"), "s3");  // the day itself: 3 % 4
  EXPECT_EQ(where("orders_gen", "ORD2026113000000002"), "s0");
  EXPECT_EQ(where("orders_gen", "ORD2026120100000002"), "s2");
  EXPECT_EQ(where("orders_gen", "ORD2026113000000006"), "s0");
  EXPECT_EQ(where("orders_gen", "ORD2026120100000006"), "s2");
  EXPECT_EQ(where("orders_gen", "ORD1970010100000003"), "s1");
  EXPECT_EQ(where("orders_gen", "ORD9999123100000003"), "s3");
  const auto p = placement("orders_gen");
  EXPECT_EQ(names(p.clusters()), "s0,s1,s2,s3");
  key_value kv;
  ASSERT_EQ(read_key_text(table("orders_gen").key, "ORD2026113000000003", kv), key_read::ok);
  EXPECT_NE(p.explain(kv).find("first generation (dated before 2026-12-01)"), std::string::npos)
      << p.explain(kv);
  ASSERT_EQ(read_key_text(table("orders_gen").key, "ORD2026120100000003", kv), key_read::ok);
  EXPECT_NE(p.explain(kv).find("generation since 2026-12-01"), std::string::npos) << p.explain(kv);
  // A key without a date cannot pick a generation.
  key_value no_date;
  no_date.number = 3;
  no_date.has_number = true;
  std::string why;
  EXPECT_EQ(p.place(no_date, why), -1);
  EXPECT_NE(why.find("no date"), std::string::npos) << why;
}

TEST_F(placement_test, generations_with_buckets_split_each_generation_evenly) {
  // 8 buckets: base [s0, s1] -> 0 0 0 0 1 1 1 1; from 2026-12-01 [s0..s3] -> 0 0 1 1 2 2 3 3.
  const std::array<int, 8> base = {0, 0, 0, 0, 1, 1, 1, 1};
  const std::array<int, 8> later = {0, 0, 1, 1, 2, 2, 3, 3};
  std::string key;
  for (std::uint32_t seq = 1; seq <= 200; ++seq) {
    order_number(key, "20261130", seq);
    EXPECT_EQ(where("orders_gen_buckets", key), "s" + std::to_string(base[xxhash64(key) % 8]))
        << key;
    order_number(key, "20261201", seq);
    EXPECT_EQ(where("orders_gen_buckets", key), "s" + std::to_string(later[xxhash64(key) % 8]))
        << key;
  }
}

TEST_F(placement_test, integer_ranges) {
  EXPECT_EQ(where("members", "-9223372036854775808"), "s0");
  EXPECT_EQ(where("members", "-101"), "s0");
  EXPECT_EQ(where("members", "-100"), "s1");
  EXPECT_EQ(where("members", "-1"), "s1");
  EXPECT_EQ(where("members", "0"), "s2");
  EXPECT_EQ(where("members", "-0"), "s2");
  EXPECT_EQ(where("members", "999"), "s2");
  EXPECT_EQ(where("members", "1000"), "s3");
  EXPECT_EQ(where("members", "9223372036854775807"), "s3");
  EXPECT_EQ(where("members_closed", "19"), "s1");
  EXPECT_EQ(where("members_closed", "20"), "none");  // no open last range
  EXPECT_EQ(span("members", "-5", "5"), "s1,s2");
  EXPECT_EQ(span("members", "-100", "-100"), "s1");
  EXPECT_EQ(span("members", "-1000", "5000"), "s0,s1,s2,s3");
  EXPECT_EQ(span("members", "1000", "2000"), "s3");
  EXPECT_EQ(span("members_closed", "15", "100"), "s1");
}

TEST_F(placement_test, string_ranges_fold_case) {
  // Bounds are folded at load time ('H' -> 'h').
  EXPECT_EQ(where("words", "apple"), "s0");
  EXPECT_EQ(where("words", "Apple"), "s0");
  EXPECT_EQ(where("words", "GARDEN  "), "s0");
  EXPECT_EQ(where("words", "h"), "s1");
  EXPECT_EQ(where("words", "HOUSE"), "s1");
  EXPECT_EQ(where("words", "omega"), "s1");
  EXPECT_EQ(where("words", "P"), "s2");
  EXPECT_EQ(where("words", "zebra"), "s2");
  EXPECT_EQ(where("words", ""), "s0");
  EXPECT_EQ(span("words", "Mango", "mango"), "s1");
  // A span of strings is compared in collation order, which is not byte order (punctuation
  // such as '_' or '~' sorts elsewhere), so it may hold keys of any range.
  EXPECT_EQ(span("words", "a", "b"), "s0,s1,s2");
}

TEST_F(placement_test, date_ranges_and_the_date_part_of_order_numbers) {
  EXPECT_EQ(where("events", "2024-12-31"), "s0");
  EXPECT_EQ(where("events", "2025-01-01"), "s1");
  EXPECT_EQ(where("events", "20251231"), "s1");
  EXPECT_EQ(where("events", "2026-01-01"), "s2");
  EXPECT_EQ(where("events", "2025-02-29"), "mismatch");
  EXPECT_EQ(where("events", "2024-02-29"), "s0");
  EXPECT_EQ(where("events", "2025-1-1"), "mismatch");
  EXPECT_EQ(span("events", "2024-06-01", "2025-06-01"), "s0,s1");
  EXPECT_EQ(span("events", "2025-01-01", "2025-12-31"), "s1");
  EXPECT_EQ(where("orders_range", "ORD2024123199999999"), "s0");
  EXPECT_EQ(where("orders_range", "ORD2025010100000001"), "s1");
  EXPECT_EQ(where("orders_range", "ORD2026010100000001"), "s2");
  // A constant prefix before the date: order numbers sort as their dates.
  EXPECT_EQ(span("orders_range", "ORD2025020100000000", "ORD2025022899999999"), "s1");
  EXPECT_EQ(span("orders_range", "ORD2024120100000000", "ORD2025010100000000"), "s0,s1");
  // A varying prefix (two letters) sorts first: AA2099... < ZZ2020..., so a span of such
  // codes may hold any date.
  EXPECT_EQ(where("codes_range", "AB202406010001"), "s0");
  EXPECT_EQ(span("codes_range", "AB202506010001", "AB202506300001"), "s0,s1,s2");
  EXPECT_EQ(span("codes_range", "AB202506010001", "AB202506010001"), "s1");
}

TEST_F(placement_test, directory_hits_and_misses) {
  // Entries fold like the key: Gold, silver, BRONZE.
  EXPECT_EQ(where("levels", "gold"), "s1");
  EXPECT_EQ(where("levels", "GOLD "), "s1");
  EXPECT_EQ(where("levels", "Silver"), "s2");
  EXPECT_EQ(where("levels", "bronze"), "s3");
  EXPECT_EQ(where("levels", "platinum"), "none");
  // An entry a case-insensitive key cannot read (non-ASCII) is never looked up.
  EXPECT_EQ(where("levels", "Pl\xC3\xA4tin"), "cannot_tell");
  // Case-sensitive: bytes as configured.
  EXPECT_EQ(where("levels_exact", "Gold"), "s1");
  EXPECT_EQ(where("levels_exact", "gold"), "none");
  EXPECT_EQ(where("levels_exact", "BRONZE"), "s3");
  EXPECT_EQ(where("levels_exact", "Pl\xC3\xA4tin"), "s0");
  const auto p = placement("levels");
  EXPECT_EQ(names(p.clusters()), "s0,s1,s2,s3");
  key_value kv;
  ASSERT_EQ(read_key_text(table("levels").key, "nope", kv), key_read::ok);
  std::string why;
  EXPECT_EQ(p.place(kv, why), -1);
  EXPECT_NE(why.find("not in directory 'tiers'"), std::string::npos) << why;
  std::vector<int> out;
  p.place_span(kv, kv, out);
  EXPECT_EQ(names(out), "s0,s1,s2,s3");
}

TEST_F(placement_test, place_span_of_hashes) {
  // Small integer spans of a modulo hash are enumerated.
  EXPECT_EQ(span("accounts", "4", "5"), "s0,s1");
  EXPECT_EQ(span("accounts", "10", "10"), "s2");
  EXPECT_EQ(span("accounts", "-1", "1"), "s0,s1");
  EXPECT_EQ(span("accounts", "5", "4"), "");
  EXPECT_EQ(span("accounts", "0", "300"), "s0,s1,s2,s3");
  EXPECT_EQ(span("accounts", "-9223372036854775808", "9223372036854775807"), "s0,s1,s2,s3");
  EXPECT_EQ(span("accounts", "9223372036854775806", "9223372036854775807"), "s2,s3");
  // Other hashes (and order numbers, whose span is not a span of seqs): every cluster.
  EXPECT_EQ(span("names_crc", "a", "a"), "s0,s1,s2");
  EXPECT_EQ(span("orders_mod", "ORD2026112200000001", "ORD2026112200000002"), "s0,s1,s2,s3");
  EXPECT_EQ(span("orders_gen", "ORD2026112200000001", "ORD2026112200000001"), "s0,s1,s2,s3");
}

TEST_F(placement_test, one_key_value_reused_for_keys_of_different_dates) {
  // The router reads every key into one key_value, which remembers the last date part:
  // a different date, an invalid one, and the remembered one again must each be read anew.
  using sql::token_kind;
  key_value kv;
  const auto& orders = table("orders_mod").key;
  ASSERT_EQ(read_key(orders, token_kind::string, "'ORD2026112200000007'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(kv.date, *parse_date("20261122"));
  ASSERT_EQ(read_key(orders, token_kind::string, "'ORD2026112200000009'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(kv.date, *parse_date("20261122"));
  EXPECT_EQ(kv.number, 9);
  ASSERT_EQ(read_key(orders, token_kind::string, "'ORD2027010100000001'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(kv.date, *parse_date("20270101"));
  EXPECT_EQ(read_key(orders, token_kind::string, "'ORD2026023000000001'", false, false, kv),
            key_read::mismatch);  // February 30th
  EXPECT_EQ(read_key(orders, token_kind::string, "'ORD2026023000000001'", false, false, kv),
            key_read::mismatch);  // still, the second time
  ASSERT_EQ(read_key(orders, token_kind::string, "'ORD2026112200000007'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(kv.date, *parse_date("20261122"));
}

TEST_F(placement_test, reading_keys_from_sql_tokens) {
  using sql::token_kind;
  key_value kv;
  const auto& orders = table("orders_mod").key;
  const auto& integer = table("accounts").key;
  const auto& text = table("names_xxh").key;
  // NULL (an identifier token) holds no key.
  EXPECT_EQ(read_key(orders, token_kind::identifier, "NULL", false, false, kv), key_read::null_key);
  EXPECT_EQ(read_key(integer, token_kind::identifier, "null", false, false, kv),
            key_read::null_key);
  // Strings.
  EXPECT_EQ(read_key(orders, token_kind::string, "'ORD2026112200000007'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(kv.number, 7);
  EXPECT_EQ(read_key(orders, token_kind::string, "\"ORD2026112200000007\"", false, false, kv),
            key_read::ok);
  EXPECT_EQ(read_key(orders, token_kind::string, "N'ORD2026112200000007'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(read_key(orders, token_kind::string, "_utf8mb4'ORD2026112200000007'", false, false, kv),
            key_read::ok);
  EXPECT_EQ(read_key(orders, token_kind::string, "_sjis'ORD2026112200000007'", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(text, token_kind::string, "_latin1'caf\xE9'", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(
      read_key(table("names_exact").key, token_kind::string, "_latin1'caf\xE9'", false, false, kv),
      key_read::cannot_tell);
  EXPECT_EQ(read_key(text, token_kind::string, "_latin1'Cafe'", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.text, "cafe");
  // Escapes, and NO_BACKSLASH_ESCAPES.
  EXPECT_EQ(read_key(text, token_kind::string, "'it\\'s'", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.text, "it's");
  EXPECT_EQ(read_key(text, token_kind::string, "'it''s'", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.text, "it's");
  EXPECT_EQ(read_key(text, token_kind::string, "'a\\c'", false, true, kv), key_read::ok);
  EXPECT_EQ(kv.text, "a\\c");
  EXPECT_EQ(read_key(text, token_kind::string, "'a\\c'", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.text, "ac");
  // Numbers: only plain integers against integer keys are exact.
  EXPECT_EQ(read_key(integer, token_kind::number, "42", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.number, 42);
  EXPECT_EQ(read_key(integer, token_kind::number, "42", true, false, kv), key_read::ok);
  EXPECT_EQ(kv.number, -42);
  EXPECT_EQ(kv.text, "-42");
  EXPECT_EQ(read_key(integer, token_kind::number, "0042", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.text, "42");
  EXPECT_EQ(read_key(integer, token_kind::number, "9223372036854775807", false, false, kv),
            key_read::ok);
  EXPECT_EQ(read_key(integer, token_kind::number, "9223372036854775808", true, false, kv),
            key_read::ok);
  EXPECT_EQ(kv.number, INT64_MIN);
  EXPECT_EQ(read_key(integer, token_kind::number, "9223372036854775808", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::number, "4.2e1", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::number, "42.0", false, false, kv), key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::number, "0x2A", false, false, kv), key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::number, "0b101", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(orders, token_kind::number, "20261122", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(text, token_kind::number, "1", false, false, kv), key_read::cannot_tell);
  // Hex strings are binary strings (like _binary'..'): read as their bytes, except for
  // integer keys (compared as numbers). Bit strings, placeholders: never read.
  EXPECT_EQ(read_key(text, token_kind::hex_string, "X'616263'", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.text, "abc");
  EXPECT_EQ(read_key(text, token_kind::hex_string, "x'41'", false, false, kv), key_read::ok);
  EXPECT_EQ(read_key(text, token_kind::hex_string, "X''", false, false, kv), key_read::ok);
  EXPECT_EQ(read_key(text, token_kind::hex_string, "X'4G'", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(text, token_kind::hex_string, "X'414'", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::hex_string, "X'2A'", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::bit_string, "b'101'", false, false, kv),
            key_read::cannot_tell);
  EXPECT_EQ(read_key(integer, token_kind::placeholder, "?", false, false, kv),
            key_read::cannot_tell);
  // Strings holding integers.
  EXPECT_EQ(read_key(integer, token_kind::string, "'-17'", false, false, kv), key_read::ok);
  EXPECT_EQ(kv.number, -17);
  EXPECT_EQ(read_key(integer, token_kind::string, "' 17'", false, false, kv), key_read::mismatch);
  EXPECT_EQ(read_key(integer, token_kind::string, "'17abc'", false, false, kv), key_read::mismatch);
  EXPECT_EQ(read_key(integer, token_kind::string, "'99999999999999999999'", false, false, kv),
            key_read::mismatch);
}

TEST_F(placement_test, reading_keys_from_text) {
  key_value kv;
  const auto& orders = table("orders_mod").key;
  const auto& integer = table("accounts").key;
  EXPECT_EQ(read_key_text(orders, "ORD2026112200000001X", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(orders, "ord2026112200000001", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(orders, "ORD202611220000001", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(orders, "ORD2026023000000001", kv), key_read::mismatch);  // Feb 30
  EXPECT_EQ(read_key_text(orders, "", kv), key_read::mismatch);
  // A seq part that is not all digits, or too large.
  EXPECT_EQ(read_key_text(table("tickets").key, "T20261122-42", kv), key_read::ok);
  EXPECT_EQ(kv.number, 42);
  EXPECT_EQ(read_key_text(table("tickets").key, "T20261122-4a", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(table("tickets").key, "T20261122-99999999999999999999", kv),
            key_read::mismatch);
  // Integers: optional minus, digits only, int64.
  EXPECT_EQ(read_key_text(integer, "-5", kv), key_read::ok);
  EXPECT_EQ(kv.number, -5);
  EXPECT_EQ(read_key_text(integer, "-0", kv), key_read::ok);
  EXPECT_EQ(kv.text, "0");
  EXPECT_EQ(read_key_text(integer, "-9223372036854775808", kv), key_read::ok);
  EXPECT_EQ(kv.number, INT64_MIN);
  EXPECT_EQ(read_key_text(integer, "-9223372036854775809", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "9223372036854775808", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "--5", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "+5", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, " 5", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "5 ", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "-", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "", kv), key_read::mismatch);
  EXPECT_EQ(read_key_text(integer, "0x10", kv), key_read::mismatch);
  // Negative keys: modulo of the absolute value.
  EXPECT_EQ(where("accounts", "-5"), "s1");
  EXPECT_EQ(where("accounts", "-9223372036854775808"), "s0");
  EXPECT_EQ(where("accounts", "9223372036854775807"), "s3");
  // Dates.
  EXPECT_EQ(read_key_text(table("events").key, "2026-11-22", kv), key_read::ok);
  EXPECT_EQ(kv.text, "2026-11-22");
  EXPECT_EQ(read_key_text(table("events").key, "20261122", kv), key_read::ok);
  EXPECT_EQ(kv.text, "2026-11-22");
  EXPECT_EQ(read_key_text(table("events").key, "2026-11-22 00:00:00", kv), key_read::mismatch);
}

// ---- spread -------------------------------------------------------------------------

void expect_within(const std::map<std::string, std::uint64_t>& counts,
                   const std::vector<std::string>& shards, double expected, double tolerance) {
  for (const auto& s : shards) {
    const auto it = counts.find(s);
    const double got = it == counts.end() ? 0.0 : static_cast<double>(it->second);
    EXPECT_NEAR(got, expected, expected * tolerance) << s;
  }
}

TEST_F(placement_test, million_sequential_order_numbers_spread_evenly_by_modulo) {
  const auto p = placement("orders_mod");
  const auto& key = table("orders_mod").key;
  std::vector<std::uint64_t> per_cluster(cfg_->clusters.size());
  std::string text;
  key_value kv;
  std::string why;
  for (std::uint32_t seq = 1; seq <= 1'000'000; ++seq) {
    order_number(text, "20261122", seq);
    ASSERT_EQ(read_key_text(key, text, kv), key_read::ok) << text;
    const int c = p.place(kv, why);
    ASSERT_GE(c, 0) << text;
    ++per_cluster[static_cast<std::size_t>(c)];
  }
  std::map<std::string, std::uint64_t> counts;
  for (std::size_t c = 0; c < per_cluster.size(); ++c)
    counts[cfg_->clusters[c].name] = per_cluster[c];
  expect_within(counts, {"s0", "s1", "s2", "s3"}, 250'000, 0.01);
}

TEST_F(placement_test, million_order_numbers_over_three_days_around_a_generation_cut_over) {
  // 2026-11-30 (two shards), 2026-12-01 and 2026-12-02 (four shards).
  const auto p = placement("orders_gen");
  const auto& key = table("orders_gen").key;
  const std::array<std::pair<std::string_view, std::uint32_t>, 3> days = {
      {{"20261130", 333'334}, {"20261201", 333'333}, {"20261202", 333'333}}};
  std::map<std::string, std::uint64_t> before, after;
  std::string text;
  key_value kv;
  std::string why;
  std::uint64_t total = 0;
  for (const auto& [day, count] : days) {
    auto& counts = day == "20261130" ? before : after;
    for (std::uint32_t seq = 1; seq <= count; ++seq) {
      order_number(text, day, seq);
      ASSERT_EQ(read_key_text(key, text, kv), key_read::ok) << text;
      const int c = p.place(kv, why);
      ASSERT_GE(c, 0) << text;
      ++counts[cfg_->clusters[static_cast<std::size_t>(c)].name];
      ++total;
    }
  }
  EXPECT_EQ(total, 1'000'000u);
  // The day before the cut-over: only the first generation's two shards.
  EXPECT_EQ(before.size(), 2u);
  expect_within(before, {"s0", "s1"}, 333'334 / 2.0, 0.01);
  // From the cut-over on: four shards.
  expect_within(after, {"s0", "s1", "s2", "s3"}, 666'666 / 4.0, 0.01);
}

TEST_F(placement_test, million_distinct_strings_spread_evenly_by_crc32_and_xxhash64) {
  const auto crc = placement("names_exact");  // crc32 over four shards
  const auto xxh = placement("names_xxh");    // xxhash64 over four shards
  std::map<std::string, std::uint64_t> by_crc, by_xxh;
  std::vector<std::uint64_t> crc_counts(cfg_->clusters.size()), xxh_counts(cfg_->clusters.size());
  key_value kv;
  std::string why;
  std::string text = "customer-";
  char digits[16];
  for (std::uint32_t i = 0; i < 1'000'000; ++i) {
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, i);
    text.resize(9);
    text.append(digits, static_cast<std::size_t>(end - digits));
    kv.text = text;
    ++crc_counts[static_cast<std::size_t>(crc.place(kv, why))];
    ++xxh_counts[static_cast<std::size_t>(xxh.place(kv, why))];
  }
  for (std::size_t c = 0; c < crc_counts.size(); ++c) {
    by_crc[cfg_->clusters[c].name] = crc_counts[c];
    by_xxh[cfg_->clusters[c].name] = xxh_counts[c];
  }
  expect_within(by_crc, {"s0", "s1", "s2", "s3"}, 250'000, 0.02);
  expect_within(by_xxh, {"s0", "s1", "s2", "s3"}, 250'000, 0.02);
}

}  // namespace
}  // namespace shardgate::routing
