// Plan node, the root of every scattered read: rows in the client's encoding - the visible
// columns only (ORDER BY / GROUP BY / aggregate helpers the shards returned are dropped),
// as text, or in the binary protocol when the client executed a prepared statement (the
// shards ran it as text).
#pragma once

#include <span>
#include <vector>

#include "execution/row_source.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::execution {

class project final : public row_source {
 public:
  // `columns`: the shards' column definitions (all, hidden ones last); `visible`: how many
  // the client sees; `hidden`: whether there are others; `binary`: binary-protocol rows.
  // `columns` must outlive the node.
  project(row_source& child, const std::vector<protocol::column_definition>& columns,
          std::size_t visible, bool hidden, bool binary, plan_context& ctx)
      : child_(child),
        columns_(columns),
        visible_(visible),
        hidden_(hidden),
        binary_(binary),
        ctx_(ctx) {}
  pull next(row_ref& row) override;

 private:
  row_source& child_;
  const std::vector<protocol::column_definition>& columns_;
  std::size_t visible_;
  bool hidden_;
  bool binary_;
  plan_context& ctx_;
  merge::row_fields fields_;
  protocol::bytes out_;
};

}  // namespace shardgate::execution
