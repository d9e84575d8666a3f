#include "execution/project.hpp"

#include "protocol/binary_row.hpp"

namespace shardgate::execution {

using namespace protocol;

pull project::next(row_ref& row) {
  const pull p = child_.next(row);
  if (p != pull::row) return p;
  if (binary_) {
    const merge::row_fields* fields = row.fields;
    if (!fields) {
      if (row.owned) {
        merge::view_of(*row.owned, fields_);
      } else if (!decode_text_row(row.payload, columns_.size(), fields_)) {
        ctx_.fail_merge("a malformed row");
        return pull::failed;
      }
      fields = &fields_;
    }
    out_.clear();
    if (!encode_binary_row(out_, *fields,
                           std::span<const column_definition>(columns_).first(visible_))) {
      ctx_.fail_merge("a value that does not read as its column's type");
      return pull::failed;
    }
    row.payload = out_;
  } else if (row.owned) {
    out_.clear();
    merge::encode_row(out_, *row.owned, visible_);
    row.payload = out_;
  } else if (hidden_) {
    row.payload = row.payload.subspan(0, merge::prefix_length(row.payload, visible_));
  }
  row.fields = nullptr;
  row.owned = nullptr;
  return pull::row;
}

}  // namespace shardgate::execution
