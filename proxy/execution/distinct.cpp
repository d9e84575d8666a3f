#include "execution/distinct.hpp"

namespace shardgate::execution {

pull distinct::next(row_ref& row) {
  for (;;) {
    const pull p = child_.next(row);
    if (p != pull::row) return p;
    const merge::row_fields* fields = row.fields;
    if (!fields) {  // (an owned row without its view)
      merge::view_of(*row.owned, view_);
      fields = &view_;
    }
    if (!seen_.first_time(*fields, keys_)) continue;
    if (seen_.size() > ctx_.max_rows) {
      ctx_.fail_memory("distinct rows");
      return pull::failed;
    }
    return pull::row;
  }
}

}  // namespace shardgate::execution
