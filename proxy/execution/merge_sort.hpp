// Plan node: the k-way merge of children that each return rows in ORDER BY order (the
// shards sorted them): one current row per child, the smallest first (ties: the lower
// child, so the merge is stable). Memory: one row per child.
#pragma once

#include <vector>

#include "execution/row_source.hpp"
#include "merge/operators.hpp"

namespace shardgate::execution {

class merge_sort final : public row_source {
 public:
  // `keys` must outlive the node; children return rows with fields.
  merge_sort(std::vector<row_source*> children, const std::vector<merge::resolved_key>& keys)
      : children_(std::move(children)),
        rows_(children_.size()),
        current_(children_.size()),
        heap_(keys) {}
  pull next(row_ref& row) override;

 private:
  // Reads child k's next row into the heap; need_input / failed stop the pull.
  pull advance(std::size_t k);

  std::vector<row_source*> children_;
  std::vector<merge::row_fields> rows_;  // each child's current row
  std::vector<row_ref> current_;
  merge::merge_heap heap_;
  std::size_t primed_ = 0;  // children read once so far
  int pending_ = -1;        // the child whose row was returned last: advanced next
};

}  // namespace shardgate::execution
