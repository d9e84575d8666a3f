// The plan tree of a scattered read: each node is a row_source that pulls rows from its
// children (shard_rows at the leaves; concatenate, merge_sort, aggregate, distinct, limit
// and project above them, one per file). Pulling is synchronous: a leaf whose shard has
// not sent its next row yet answers need_input and names itself in the plan_context, the
// driver (scatter_merge.cpp) reads more from that shard and pulls again; every node keeps
// its place, so a pull resumes where it stopped. The nodes are pure - no I/O, no timers -
// and are unit-tested with rows fed in by hand (tests/unit/execution/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "merge/operators.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"

namespace shardgate::execution {

enum class pull : std::uint8_t {
  row,         // `row` holds the next row (valid until the next pull of this node)
  end,         // no more rows
  failed,      // the plan failed (plan_context::failure says why)
  need_input,  // leaf plan_context::waiting must read more before the next pull
};

// A row as it moves up the tree: the text-protocol payload a shard sent (or, after project,
// the client's encoding), its fields when the plan reads them, or a row the plan computed.
struct row_ref {
  protocol::byte_span payload;
  const merge::row_fields* fields = nullptr;
  const merge::owned_row* owned = nullptr;  // (aggregate's output; payload is then empty)
};

// What the nodes of one plan share: the first failure, which leaf waits for input, the
// warnings the shards reported, and the bound on rows held in memory.
struct plan_context {
  std::optional<protocol::mysql_error> failure;
  int waiting = -1;
  std::uint32_t warnings = 0;
  std::size_t max_rows = 1000000;  // routing.merge_max_rows

  void fail(protocol::mysql_error e) {
    if (!failure) failure = std::move(e);
  }
  // "ShardGate: cannot merge the shards' rows: ..." (1235).
  void fail_merge(const std::string& why) {
    fail(protocol::mysql_error{protocol::er::not_supported_yet, "42000",
                               "ShardGate: cannot merge the shards' rows: " + why});
  }
  // The plan holds more than max_rows rows (1038).
  void fail_memory(const std::string& what) {
    fail(protocol::mysql_error{protocol::er::out_of_sort_memory, "HY001",
                               "ShardGate: the merge needs more than " + std::to_string(max_rows) +
                                   " " + what + " in memory (routing.merge_max_rows)"});
  }
};

class row_source {
 public:
  virtual ~row_source() = default;
  virtual pull next(row_ref& row) = 0;
};

}  // namespace shardgate::execution
