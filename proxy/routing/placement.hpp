// Where rows live: shard-key values read from SQL literals (key extractors) and the
// placement of each sharded table (hash / range / directory strategies with date
// generations), compiled once per configuration snapshot into a topology. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "sql/lexer.hpp"

namespace shardgate::routing {

// A shard-key value in the forms the strategies use.
struct key_value {
  std::string text;         // canonical text: hashing, directory and string ranges
  std::int64_t number = 0;  // integer keys; the seq part of an order number
  std::int32_t date = 0;    // date keys; the date part of an order number
  bool has_number = false;
  bool has_date = false;
  // The last order-number date part read into this value and its day number: the rows
  // of one INSERT mostly share their date.
  std::uint64_t memo_date_text = 0;  // the 8 bytes of a YYYYMMDD date part (0: none)
  std::int32_t memo_date = 0;
};

enum class key_read : std::uint8_t {
  ok,
  null_key,     // NULL: no shard holds NULL keys
  cannot_tell,  // a literal whose comparison MySQL would do in a way ShardGate does not model
  mismatch,     // not a valid key of this kind (not an integer, no pattern match, bad date)
};

// Reads a literal token (number or string; `negative` if a unary minus preceded it).
key_read read_key(const config::shard_key_config& key, sql::token_kind kind,
                  std::string_view token_text, bool negative, bool no_backslash_escapes,
                  key_value& out);

// Reads a key given as plain text (the `shardgate route --key` form, directory seeds):
// for string-like kinds the text is the value, for integers it must be a number.
key_read read_key_text(const config::shard_key_config& key, std::string_view text, key_value& out);

// Placement of one configured table: sharded (placed by key) or broadcast (copied).
class table_placement {
 public:
  table_placement(const config::table_config& table, const config::config& cfg);

  // The cluster (index into config::clusters) that owns `key`, or -1 with `why` set.
  int place(const key_value& key, std::string& why) const;
  // Clusters that may hold keys in [lo, hi] (inclusive): a subset when the strategy can
  // tell (ranges; small integer spans of modulo hashes), else every cluster of the table.
  void place_span(const key_value& lo, const key_value& hi, std::vector<int>& out) const;
  // Every cluster that holds rows of the table, ascending. For a broadcast table: the
  // clusters holding a copy.
  const std::vector<int>& clusters() const noexcept { return all_; }
  // Broadcast tables: the copy reads go to (the first of the table's clusters as
  // configured); -1 for sharded tables.
  int first_copy() const noexcept { return first_copy_; }
  bool broadcast() const noexcept { return table_->broadcast; }
  const config::table_config& table() const noexcept { return *table_; }
  // A short description of the rule that placed a key (for `shardgate route`).
  std::string explain(const key_value& key) const;

 private:
  struct generation {
    std::int32_t since = INT32_MIN;
    std::vector<int> shards;
    std::vector<std::uint32_t> bucket_shard;  // empty: no buckets
  };
  const generation& generation_for(const key_value& key) const;
  std::uint64_t hash_of(const key_value& key, bool& ok) const;

  const config::table_config* table_;
  std::vector<generation> generations_;  // [0] = the base list, then ascending by since
  std::vector<std::pair<int, config::range_config>> ranges_;  // cluster, bounds
  std::unordered_map<std::string, int> directory_;
  std::vector<int> all_;
  int first_copy_ = -1;
};

// Directory lookups (strategy: directory) this thread made, by lookup name: a key found in
// the directory is a hit, one it does not hold a miss. For the metrics; worker threads
// count, and each one's counts are read on that thread.
struct directory_counts {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
};
std::map<std::string, directory_counts, std::less<>>& directory_stats() noexcept;

// The placements of every sharded table of a configuration snapshot.
class topology {
 public:
  explicit topology(std::shared_ptr<const config::config> cfg);
  const config::config& config() const noexcept { return *cfg_; }
  const std::shared_ptr<const config::config>& config_ptr() const noexcept { return cfg_; }
  const table_placement& placement(const config::table_config& t) const;
  // The cluster unsharded statements of `schema` (may be null) go to.
  int default_cluster(const config::schema_config* schema) const;

 private:
  std::shared_ptr<const config::config> cfg_;
  std::unordered_map<const config::table_config*, std::unique_ptr<table_placement>> placements_;
};

}  // namespace shardgate::routing
