// Plan node: OFFSET / LIMIT. Once the limit is reached it stops pulling (the driver drains
// what the shards still send).
#pragma once

#include <cstdint>

#include "execution/row_source.hpp"
#include "merge/operators.hpp"

namespace shardgate::execution {

class limit final : public row_source {
 public:
  limit(row_source& child, bool has_limit, std::uint64_t offset, std::uint64_t count)
      : child_(child), limiter_(has_limit, offset, count) {}
  pull next(row_ref& row) override {
    for (;;) {
      if (limiter_.finished()) return pull::end;
      const pull p = child_.next(row);
      if (p != pull::row) return p;
      switch (limiter_.next()) {
        case merge::limiter::verdict::skip:
          continue;
        case merge::limiter::verdict::emit:
          return pull::row;
        case merge::limiter::verdict::done:
          return pull::end;
      }
    }
  }

 private:
  row_source& child_;
  merge::limiter limiter_;
};

}  // namespace shardgate::execution
