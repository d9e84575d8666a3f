// Test helpers for the plan nodes: a row_source fed by hand (rows as a shard would send
// them, with need_input answered before chosen rows, as a shard whose next row has not
// arrived), and a driver that pulls a plan to its end.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "execution/row_source.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::execution::testing {

using merge::owned_row;

class fed_rows final : public row_source {
 public:
  fed_rows(std::vector<owned_row> rows, plan_context& ctx, int index = 0)
      : rows_(std::move(rows)), ctx_(ctx), index_(index) {}
  // need_input once before row k (rows.size(): before the end).
  std::set<std::size_t> stalls;
  // After the rows: fail the plan instead of ending.
  bool fail_at_end = false;
  int pulls = 0;  // next() calls

  pull next(row_ref& row) override {
    ++pulls;
    if (stalls.count(pos_) && !stalled_.count(pos_)) {
      stalled_.insert(pos_);
      ctx_.waiting = index_;
      return pull::need_input;
    }
    if (pos_ == rows_.size()) {
      if (!fail_at_end) return pull::end;
      ctx_.fail(
          protocol::mysql_error{1146, "42S02", "shard s" + std::to_string(index_) + ": gone"});
      return pull::failed;
    }
    const owned_row& r = rows_[pos_++];
    payload_.clear();
    merge::encode_row(payload_, r, r.size());
    EXPECT_TRUE(protocol::decode_text_row(payload_, r.size(), fields_));
    row.payload = payload_;
    row.fields = &fields_;
    row.owned = nullptr;
    return pull::row;
  }

 private:
  std::vector<owned_row> rows_;
  plan_context& ctx_;
  int index_;
  std::size_t pos_ = 0;
  std::set<std::size_t> stalled_;
  protocol::bytes payload_;
  merge::row_fields fields_;
};

struct drained {
  std::vector<owned_row> rows;
  pull last = pull::end;    // end or failed
  std::vector<int> stalls;  // the leaves that asked for input, in order
};

// Pulls `root` until end or failure, answering need_input by pulling again (the input is
// "there" now); rows are read back as `columns` text fields (owned rows: their values).
inline drained drain(row_source& root, plan_context& ctx, std::size_t columns) {
  drained out;
  for (int guard = 0; guard < 100000; ++guard) {
    row_ref row;
    const pull p = root.next(row);
    if (p == pull::need_input) {
      out.stalls.push_back(ctx.waiting);
      ctx.waiting = -1;
      continue;
    }
    if (p != pull::row) {
      out.last = p;
      return out;
    }
    owned_row r;
    if (row.owned) {
      r = *row.owned;
      r.resize(columns);
    } else {
      protocol::text_row f;
      EXPECT_TRUE(protocol::decode_text_row(row.payload, columns, f));
      for (const auto& v : f) r.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
    }
    out.rows.push_back(std::move(r));
  }
  ADD_FAILURE() << "the plan never ended";
  return out;
}

inline std::optional<std::string> v(const char* s) {
  return std::string(s);
}

}  // namespace shardgate::execution::testing
