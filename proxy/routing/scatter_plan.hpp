// Planning a read that several shards answer and ShardGate merges (in the spirit of
// Vitess's vtgate engine): from a top-level SELECT with ORDER BY, LIMIT, aggregates,
// GROUP BY, HAVING or DISTINCT it builds
//  - the statement each shard runs: the original select list plus hidden columns the
//    merge needs (sort keys, WEIGHT_STRING()s of text so the proxy orders text exactly as
//    the column's collation does, SUM and COUNT for AVG, ...), LIMIT o+n instead of
//    LIMIT o,n, no HAVING, and GROUP BY extended for COUNT(DISTINCT x);
//  - a merge_spec: which primitives combine the shards' rows (merge-sort, aggregate,
//    distinct, having, limit, project).
// Pure: no I/O. Anything it cannot answer exactly is refused with the construct named.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routing/statement_parser.hpp"

namespace shardgate::routing {

// A column of the shards' rows: a visible one (index into the select list's columns) or
// a hidden one appended after them (the k-th hidden column). The visible count is known
// only when the rows arrive if the select list has a `*`, so hidden columns are counted
// from their own start.
struct column_slot {
  bool hidden = false;
  std::int32_t index = -1;  // -1: none
  bool valid() const noexcept { return index >= 0; }
  bool operator==(const column_slot&) const = default;
};

// A sort or grouping key: its value, and the WEIGHT_STRING of it (compared instead of the
// value when the value is text under a collation).
struct merge_key {
  column_slot value;
  column_slot weight;
  bool descending = false;
};

enum class aggregate_kind : std::uint8_t {
  count,  // COUNT(*), COUNT(x): sum of the shards' counts
  sum,    // exact decimal sum (floating point for DOUBLE/FLOAT results)
  min,
  max,
  avg,             // from hidden SUM(x) and COUNT(x)
  count_distinct,  // distinct values of x, gathered from every shard
  bit_and,
  bit_or,
  bit_xor,
};
const char* aggregate_kind_name(aggregate_kind k) noexcept;

struct merge_aggregate {
  aggregate_kind kind = aggregate_kind::count;
  // Where the merged value goes: the select list's column, or a hidden column when only
  // HAVING / ORDER BY use the aggregate.
  column_slot output;
  // The shard's partial result: the same column for count/sum/min/max/bit_*; avg: a
  // hidden SUM(x) (with `count` a hidden COUNT(x)); count_distinct: none (`distinct_*`
  // hold x and its WEIGHT_STRING, the shards group by x).
  column_slot partial;
  column_slot weight;  // min/max: WEIGHT_STRING of the partial (merged along with it)
  column_slot count;
  column_slot distinct_value;
  column_slot distinct_weight;
  std::string text;  // as written, for messages
};

// HAVING, evaluated by the proxy on merged groups.
struct having_node {
  enum class op : std::uint8_t {
    and_,
    or_,
    xor_,
    not_,
    compare,  // children[0] <cmp> children[1]
    is_null,  // children[0] IS NULL (negated: IS NOT NULL)
    between,  // children[0] BETWEEN children[1] AND children[2]
    in_list,  // children[0] IN (children[1..])
    column,   // a column of the merged row
    literal,  // a number or string; `text` holds it (unquoted), is_null for NULL
  };
  op kind = op::literal;
  std::uint16_t compare_op = 0;  // sql::operator_id of = <> != < <= > >= <=>
  bool negated = false;
  bool is_null = false;
  bool string_literal = false;
  column_slot column;
  std::string text;
  std::vector<std::uint32_t> children;  // indexes into merge_spec::having
};

enum class merge_mode : std::uint8_t {
  concat,     // shard after shard
  sort,       // k-way merge of the shards' sorted streams
  aggregate,  // group (or one scalar group), then HAVING, ORDER BY, LIMIT
};
const char* merge_mode_name(merge_mode m) noexcept;

struct merge_spec {
  merge_mode mode = merge_mode::concat;
  std::int32_t hidden = 0;          // hidden columns at the end of each shard's row
  std::int32_t visible_items = -1;  // visible columns when known (no `*` in the list)
  // Sort keys: over the shards' rows (sort), or over merged groups (aggregate; none there
  // means the GROUP BY order, as MariaDB returns groups).
  std::vector<merge_key> order;
  bool order_by_null = false;  // ORDER BY NULL: no order at all
  // Aggregate mode.
  std::vector<merge_key> group;  // empty: one scalar group
  std::vector<merge_aggregate> aggregates;
  std::vector<having_node> having;  // empty: no HAVING
  std::int32_t having_root = -1;
  // DISTINCT: keys per visible column (value and weight).
  bool distinct = false;
  std::vector<merge_key> distinct_keys;
  // LIMIT o, n (applied by the proxy; the shards got LIMIT o+n where that is exact).
  bool has_limit = false;
  std::uint64_t offset = 0;
  std::uint64_t count = 0;

  void clear();
};

// Builds the shards' statement (`shard_sql`) and the merge for `parsed` (a SELECT with
// select.simple and merge_needed). On failure returns false with `why` naming the
// construct that cannot be merged exactly.
bool plan_scatter_merge(const parsed_statement& parsed, merge_spec& spec, std::string& shard_sql,
                        std::string& why);

}  // namespace shardgate::routing
