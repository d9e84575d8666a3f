// A scattered SELECT whose rows ShardGate merges (ORDER BY, LIMIT, aggregates, GROUP BY,
// HAVING, DISTINCT): reads every shard's resultset and drives the merge primitives of
// proxy/merge over them, streaming to the client.
//  - merge-sort and concatenation hold one row per shard (memory: shards x read buffer);
//  - aggregation holds one row per group (bounded by routing.merge_max_rows).
// A shard that fails, or the per-query deadline, ends the statement with an error naming
// the shards; a result is never passed off as complete when it is not.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "execution/fan_out.hpp"
#include "routing/scatter_plan.hpp"

namespace shardgate::execution {

struct merge_settings {
  std::chrono::milliseconds write_timeout{60000};
  std::chrono::milliseconds deadline{0};  // 0: none
  std::size_t max_rows = 1000000;
  // The client ran a prepared statement: rows go out in the binary protocol's encoding
  // (the shards ran it as text).
  bool binary_rows = false;
};

awaitable<gather_status> merge_rows(std::vector<fan_leg>& legs,
                                    const std::vector<std::string>& shard_names,
                                    const routing::merge_spec& spec, net::stream& client,
                                    std::uint8_t& client_seq, std::uint32_t client_caps,
                                    std::uint16_t terminator_status, merge_settings settings);

}  // namespace shardgate::execution
