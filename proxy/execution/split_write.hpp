// Plan primitive: a write split by shard (a multi-row INSERT, an UPDATE / DELETE over
// several shards) or DDL on every shard. The client's OK sums the shards' affected rows and
// warnings and carries the LAST_INSERT_ID of the shard that got the statement's first row
// (or the first shard that reported one) and the shards' info combined; a shard that failed
// makes it fail, naming where it failed and where it WAS applied (not atomic).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "execution/fan_out.hpp"

namespace shardgate::execution {

// `names[k]` / `clusters[k]`: the shard of replies[k]; `first_row_cluster`: where the first
// row went (-1: unknown); `what`: "statement" or "DDL".
write_outcome split_write(const std::vector<leg_reply>& replies,
                          const std::vector<std::string>& names, const std::vector<int>& clusters,
                          int first_row_cluster, std::string_view what);

}  // namespace shardgate::execution
