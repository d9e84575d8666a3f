// Plan node: SELECT DISTINCT - the rows whose key columns were not seen before. It
// remembers every row it let through, bounded by plan_context::max_rows.
#pragma once

#include <vector>

#include "execution/row_source.hpp"
#include "merge/operators.hpp"

namespace shardgate::execution {

class distinct final : public row_source {
 public:
  // `keys` must outlive the node; the child returns rows with fields (or owned rows).
  distinct(row_source& child, const std::vector<merge::resolved_key>& keys, plan_context& ctx)
      : child_(child), keys_(keys), ctx_(ctx) {}
  pull next(row_ref& row) override;

 private:
  row_source& child_;
  const std::vector<merge::resolved_key>& keys_;
  plan_context& ctx_;
  merge::distinct_filter seen_;
  merge::row_fields view_;
};

}  // namespace shardgate::execution
