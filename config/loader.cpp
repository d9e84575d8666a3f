#include "config/loader.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/loader_internal.hpp"
#include "routing/dates.hpp"

namespace shardgate::config {

std::string load_error::to_string() const {
  std::ostringstream s;
  s << file;
  if (line > 0) s << ':' << line << ':' << column;
  s << ": " << message;
  return s.str();
}

namespace detail {

[[noreturn]] void fail(const YAML::Node& at, std::string message) {
  throw failure{at.Mark(), std::move(message)};
}

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

namespace {

// The config file's directory, absolute.
std::filesystem::path config_directory(const std::string& source) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(source, ec);
  if (ec) p = source;
  return p.parent_path();
}

}  // namespace

std::string readable_file(const YAML::Node& node, std::string_view what,
                          const std::string& source) {
  std::string path = scalar(node, what);
  if (path.empty()) fail(node, std::string(what) + " must not be empty");
  if (path.front() != '/') path = (config_directory(source) / path).lexically_normal().string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    fail(node, std::string(what) + ": " + path + " is a directory, not a file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(node, std::string(what) + ": cannot read " + path + ": " + std::strerror(errno));
  std::fclose(f);
  return path;
}

}  // namespace detail

namespace {

using namespace detail;

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
  if (root["listen"]) parse_listen(root["listen"], cfg->listen, source);
  if (root["admin"]) parse_admin(root["admin"], cfg->admin);
  if (!root["users"]) fail(root, "users is required (the accounts clients log in with)");
  parse_users(root["users"], cfg->users, cfg->listen, source);
  if (!root["clusters"]) fail(root, "clusters is required");
  parse_clusters(root["clusters"], cfg->clusters, source);
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
