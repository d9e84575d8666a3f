#include "execution/aggregate.hpp"

namespace shardgate::execution {

using namespace protocol;

pull aggregate::next(row_ref& row) {
  while (!folded_) {
    row_ref in;
    const pull p = child_.next(in);
    if (p == pull::need_input || p == pull::failed) return p;
    if (p == pull::end) {
      folded_ = true;
      if (!agg_.finish(rows_, error_)) {
        if (agg_.out_of_range())
          ctx_.fail(mysql_error{er::data_out_of_range, "22003", error_});
        else
          ctx_.fail_merge(error_);
        return pull::failed;
      }
      break;
    }
    if (!agg_.add(*in.fields, error_)) {
      if (agg_.over_limit())
        ctx_.fail(mysql_error{er::out_of_sort_memory, "HY001", "ShardGate: " + error_});
      else if (agg_.out_of_range())
        ctx_.fail(mysql_error{er::data_out_of_range, "22003", "ShardGate: " + error_});
      else
        ctx_.fail_merge(error_);
      return pull::failed;
    }
  }
  if (emitted_ == rows_.size()) return pull::end;
  const merge::owned_row& out = rows_[emitted_++];
  merge::view_of(out, view_);
  row.payload = {};
  row.fields = &view_;
  row.owned = &out;
  return pull::row;
}

}  // namespace shardgate::execution
