// The leaf of a scattered read's plan: one shard's rows, after its column definitions, as
// they arrive in the shard connection's read buffer (the driver reads more when the leaf
// answers need_input). The shard's ERR, a malformed row, or a second resultset fail the
// plan; the terminator's warnings add to the plan's.
#pragma once

#include <string>

#include "backend/backend_connection.hpp"
#include "execution/row_source.hpp"

namespace shardgate::execution {

class shard_rows final : public row_source {
 public:
  // `index`: the leaf's number in plan_context::waiting; `columns`: per row; `need_fields`:
  // the plan reads the rows' fields (anything but plain concatenation).
  shard_rows(backend::backend_connection& be, const std::string& name, int index, plan_context& ctx,
             std::size_t columns, bool need_fields)
      : be_(&be),
        name_(&name),
        index_(index),
        ctx_(&ctx),
        columns_(columns),
        need_fields_(need_fields) {}

  pull next(row_ref& row) override;

  backend::backend_connection& connection() const noexcept { return *be_; }
  // The terminator or an ERR was read (or the connection was given up).
  bool done() const noexcept { return done_; }
  // The connection failed (it is marked failed; it does not go back to its pool).
  bool lost() const noexcept { return lost_; }
  // The driver gave up on the connection while the leaf waited for input.
  void lose() noexcept {
    lost_ = true;
    done_ = true;
  }

 private:
  void fail_lost(std::string_view what);

  backend::backend_connection* be_;
  const std::string* name_;
  int index_;
  plan_context* ctx_;
  std::size_t columns_;
  bool need_fields_;
  bool done_ = false;
  bool lost_ = false;
  protocol::bytes payload_;
  merge::row_fields fields_;
};

}  // namespace shardgate::execution
