// Plan node: GROUP BY and aggregates over the shards' partial results (COUNT, SUM, MIN,
// MAX, AVG from SUM and COUNT, BIT_*, COUNT(DISTINCT)), then HAVING and the ORDER BY of
// the merged rows (merge::aggregator). It reads its child to the end before its first row;
// it holds one row per group, bounded by plan_context::max_rows.
#pragma once

#include <vector>

#include "execution/row_source.hpp"
#include "merge/operators.hpp"

namespace shardgate::execution {

class aggregate final : public row_source {
 public:
  // `spec` and `layout` must outlive the node; the child returns rows with fields.
  aggregate(row_source& child, const routing::merge_spec& spec, const merge::row_layout& layout,
            plan_context& ctx)
      : child_(child), ctx_(ctx), agg_(spec, layout, ctx.max_rows) {}
  pull next(row_ref& row) override;

 private:
  row_source& child_;
  plan_context& ctx_;
  merge::aggregator agg_;
  bool folded_ = false;  // the child was read to its end
  std::vector<merge::owned_row> rows_;
  std::size_t emitted_ = 0;
  merge::row_fields view_;
  std::string error_;
};

}  // namespace shardgate::execution
