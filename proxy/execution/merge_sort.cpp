#include "execution/merge_sort.hpp"

namespace shardgate::execution {

pull merge_sort::advance(std::size_t k) {
  row_ref r;
  const pull p = children_[k]->next(r);
  if (p == pull::row) {
    current_[k] = r;
    rows_[k].assign(r.fields->begin(), r.fields->end());
    heap_.push(k, rows_);
  }
  return p;
}

pull merge_sort::next(row_ref& row) {
  while (primed_ < children_.size()) {
    const pull p = advance(primed_);
    if (p == pull::need_input || p == pull::failed) return p;
    ++primed_;
  }
  if (pending_ >= 0) {
    const pull p = advance(static_cast<std::size_t>(pending_));
    if (p == pull::need_input || p == pull::failed) return p;
    pending_ = -1;
  }
  if (heap_.empty()) return pull::end;
  const std::size_t k = heap_.pop(rows_);
  pending_ = static_cast<int>(k);
  row = current_[k];
  row.fields = &rows_[k];
  return pull::row;
}

}  // namespace shardgate::execution
