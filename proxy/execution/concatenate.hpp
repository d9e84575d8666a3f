// Plan node: its children's rows one child after the other (a scatter without ORDER BY,
// and the input of aggregate).
#pragma once

#include <vector>

#include "execution/row_source.hpp"

namespace shardgate::execution {

class concatenate final : public row_source {
 public:
  explicit concatenate(std::vector<row_source*> children) : children_(std::move(children)) {}
  pull next(row_ref& row) override {
    while (current_ < children_.size()) {
      const pull p = children_[current_]->next(row);
      if (p != pull::end) return p;
      ++current_;
    }
    return pull::end;
  }

 private:
  std::vector<row_source*> children_;
  std::size_t current_ = 0;
};

}  // namespace shardgate::execution
