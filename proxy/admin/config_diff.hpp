// What a reload from one configuration to another would change, as text for operators:
// `shardgate check-config --diff OLD NEW` prints it and POST /reload answers it. Pure (no
// I/O besides reading the clock when no date is given).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace shardgate::admin {

struct reload_diff_options {
  // Operator-chosen keys, one "schema.table key" each ("table key" when the new
  // configuration has one schema); blank lines and lines starting with '#' are skipped.
  std::vector<std::string> extra_keys;
  // Days since 1970-01-01 taken as today (order-number dates are sampled around it);
  // nullopt: the system clock's date (UTC).
  std::optional<std::int32_t> today;
};

// Sample keys of a sharded table: integers 0..999 and a spread of larger values; strings
// key0..key999; dates: 1000 days from 2020-01-01; order numbers built from the pattern
// (key_pattern::sample) for the days around each generation's and range's start (+-3)
// and today, seq 0..N; plus each range's bounds and (directory tables) the lookup's keys.
// Empty with `note` set when the table's pattern cannot be sampled.
std::vector<std::string> sample_keys(const config::config& cfg, const config::table_config& table,
                                     std::int32_t today, std::string& note);

// For every sharded table configured in both (same schema and table name): how many
// sample keys (and extra keys) route to another cluster, e.g.
//   table shop.orders: 37 of 1000 sample keys route differently, e.g. 'ORD...': shard1 -> shard3
// then one line per extra key and a closing summary line.
std::vector<std::string> routing_differences(const config::config& old, const config::config& neu,
                                             const reload_diff_options& options = {});

// The whole summary, one item per line: "no changes" when the two files are the same
// document; else the YAML differences (config::yaml_differences), a line
// "! <setting> changes only on restart" per config::restart_only_changes, and the routing
// differences. Uses each config's source_text.
std::string describe_reload(const config::config& old, const config::config& neu,
                            const reload_diff_options& options = {});

}  // namespace shardgate::admin
