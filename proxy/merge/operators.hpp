// The merge primitives of a scattered SELECT, each usable (and tested) alone:
//  - row_layout: a merge_spec's column slots resolved against the columns the shards
//    returned (visible count, absolute indexes, value classes);
//  - compare_rows: ORDER BY / GROUP BY key order (NULL first ascending, weights for text);
//  - merge_heap: the k-way merge of sorted streams (one current row per shard);
//  - limiter: OFFSET / LIMIT;
//  - distinct_filter: rows not seen before, by their key columns;
//  - aggregator: groups and folds partial aggregates, then HAVING, ORDER BY, output rows.
// Pure: rows come in as byte payloads (text protocol) and leave as payloads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "merge/value.hpp"
#include "protocol/bytes.hpp"
#include "protocol/resultset.hpp"
#include "routing/scatter_plan.hpp"

namespace shardgate::merge {

using routing::column_slot;
using routing::merge_spec;

// A row's fields as views into its payload (protocol::decode_text_row reads them).
using row_fields = protocol::text_row;
// Length of the payload prefix that holds the first `columns` fields (to forward visible
// columns without re-encoding).
std::size_t prefix_length(protocol::byte_span payload, std::size_t columns);

struct resolved_key {
  int value = -1;
  int weight = -1;  // compared instead of the value when use_weight
  bool use_weight = false;
  bool descending = false;
  value_class cls = value_class::bytes;
};

struct row_layout {
  std::size_t columns = 0;  // in each shard row
  std::size_t visible = 0;  // sent to the client
  std::vector<value_class> classes;
  std::vector<protocol::column_type> types;
  std::vector<std::uint8_t> decimals;
  std::vector<resolved_key> order, group, distinct;

  int index(const column_slot& s) const {
    if (!s.valid()) return -1;
    return s.hidden ? static_cast<int>(visible) + s.index : s.index;
  }
  // Resolves `spec` against the shards' column definitions; false with `error` if the
  // columns do not fit the plan (or a key's type cannot be ordered).
  bool resolve(const merge_spec& spec, const std::vector<protocol::column_definition>& cols,
               std::string& error);
};

// <0, 0, >0: a before, equal to, after b under `keys` (ascending NULL first; DESC reverses).
int compare_rows(const row_fields& a, const row_fields& b, const std::vector<resolved_key>& keys);

// The key of a row for grouping / DISTINCT: weights for text, values otherwise.
void key_of(const row_fields& row, const std::vector<resolved_key>& keys, std::string& out);

class limiter {
 public:
  enum class verdict : std::uint8_t { skip, emit, done };
  limiter() = default;
  limiter(bool has_limit, std::uint64_t offset, std::uint64_t count)
      : has_limit_(has_limit), offset_(offset), count_(count) {}
  verdict next() {
    if (has_limit_ && count_ == 0) return verdict::done;
    if (offset_ > 0) {
      --offset_;
      return verdict::skip;
    }
    if (has_limit_) --count_;
    return verdict::emit;
  }
  bool finished() const { return has_limit_ && count_ == 0; }

 private:
  bool has_limit_ = false;
  std::uint64_t offset_ = 0;
  std::uint64_t count_ = 0;
};

class distinct_filter {
 public:
  // True the first time a row with these key values is seen.
  bool first_time(const row_fields& row, const std::vector<resolved_key>& keys);
  // Rows remembered so far (callers bound it: routing.merge_max_rows).
  std::size_t size() const { return seen_.size(); }

 private:
  std::unordered_set<std::string> seen_;
  std::string scratch_;
};

// The k-way merge: which source holds the smallest current row.
class merge_heap {
 public:
  explicit merge_heap(const std::vector<resolved_key>& keys) : keys_(keys) {}
  explicit merge_heap(std::vector<resolved_key>&&) = delete;  // keys_ must outlive the heap
  // `rows[k]` is source k's current row; push k when it has one.
  void push(std::size_t source, const std::vector<row_fields>& rows);
  // The source with the smallest row (ties: the lower source, so the merge is stable);
  // removes it. Callers push it again after advancing it.
  std::size_t pop(const std::vector<row_fields>& rows);
  bool empty() const { return heap_.empty(); }

 private:
  bool less(std::size_t a, std::size_t b, const std::vector<row_fields>& rows) const;
  const std::vector<resolved_key>& keys_;
  std::vector<std::size_t> heap_;
};

// An owned row (aggregate output): values or NULL.
using owned_row = std::vector<std::optional<std::string>>;
// Views of an owned row, for compare_rows / key_of.
void view_of(const owned_row& row, row_fields& out);
// Appends the text-protocol encoding of the first `columns` values.
void encode_row(protocol::bytes& out, const owned_row& row, std::size_t columns);

class aggregator {
 public:
  // `max_rows` bounds what the merge holds: groups plus COUNT(DISTINCT) values.
  aggregator(const merge_spec& spec, const row_layout& layout, std::size_t max_rows)
      : spec_(spec), layout_(layout), max_rows_(max_rows) {}
  aggregator(merge_spec&&, const row_layout&, std::size_t) = delete;
  aggregator(const merge_spec&, row_layout&&, std::size_t) = delete;
  // Folds one shard row in; false with `error` (too many groups, a malformed partial).
  bool add(const row_fields& row, std::string& error);
  // The merged rows after HAVING, in ORDER BY order (or GROUP BY order), before LIMIT
  // and DISTINCT. False with `error` if HAVING cannot be evaluated.
  bool finish(std::vector<owned_row>& out, std::string& error);
  std::size_t groups() const { return groups_.size(); }
  bool over_limit() const { return over_limit_; }
  bool out_of_range() const { return out_of_range_; }

 private:
  struct accumulator {
    std::uint64_t count = 0;
    decimal sum;
    double fsum = 0;
    bool any = false;
    std::uint64_t bits = 0;
    std::optional<std::string> best;
    std::optional<std::string> best_weight;
    std::unique_ptr<std::unordered_set<std::string>> distinct;
  };
  struct group {
    owned_row row;
    std::vector<accumulator> acc;
  };
  bool fold(group& g, const row_fields& row, std::string& error);
  void finalize(group& g);
  // HAVING on a merged row: true, false or unknown (NULL) -> kept only when true.
  int having(const owned_row& row, std::int32_t node, std::string& error) const;

  const merge_spec& spec_;
  const row_layout& layout_;
  std::size_t max_rows_;
  std::size_t distinct_values_ = 0;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<group> groups_;
  std::string key_;
  bool over_limit_ = false;
  bool out_of_range_ = false;
  std::string range_error_;
};

}  // namespace shardgate::merge
