#include "execution/shard_rows.hpp"

#include "execution/fan_out.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::execution {

using namespace protocol;

void shard_rows::fail_lost(std::string_view what) {
  be_->mark_failed();
  lose();
  ctx_->fail(lost_error(*be_, what));
}

pull shard_rows::next(row_ref& row) {
  if (done_) return pull::end;
  bool too_large = false;
  const auto extent = find_packet(be_->buffer().readable(), max_reply_packet, too_large);
  if (too_large) {
    fail_lost("while reading rows (a packet over 1 GiB)");
    return pull::failed;
  }
  if (!extent) {
    ctx_->waiting = index_;
    return pull::need_input;
  }
  join_frames(be_->buffer().readable(), *extent, payload_);
  be_->buffer().consume(extent->wire_size);
  const std::uint8_t first = payload_.empty() ? 0 : payload_[0];
  if (first == err_header) {
    done_ = true;
    ctx_->fail(shard_error(*be_, *name_, payload_));
    return pull::failed;
  }
  if (is_terminator(first, payload_.size())) {
    done_ = true;
    std::uint16_t warnings = 0;
    const bool readable = read_terminator(*be_, payload_, warnings);
    ctx_->warnings += warnings;
    if (!readable || (be_->status & status::more_results_exist)) {
      be_->mark_failed();
      lost_ = true;
      ctx_->fail(mysql_error{er::not_supported_yet, "42000",
                             "ShardGate: multiple results from a scattered statement"});
      return pull::failed;
    }
    return pull::end;
  }
  // A plain concatenation forwards rows as they are: their fields are not needed.
  if (need_fields_ && !decode_text_row(payload_, columns_, fields_)) {
    fail_lost("(malformed row)");
    return pull::failed;
  }
  row.payload = payload_;
  row.fields = need_fields_ ? &fields_ : nullptr;
  row.owned = nullptr;
  return pull::row;
}

}  // namespace shardgate::execution
