#include "execution/scatter_merge.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include "execution/aggregate.hpp"
#include "execution/concatenate.hpp"
#include "execution/distinct.hpp"
#include "execution/limit.hpp"
#include "execution/merge_sort.hpp"
#include "execution/project.hpp"
#include "execution/shard_rows.hpp"
#include "merge/operators.hpp"
#include "net/packet_io.hpp"
#include "protocol/binary_row.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::execution {

using namespace protocol;
using routing::merge_mode;

namespace {

// One shard's reply before its rows: its header is read by the driver, its rows by the
// plan's leaf.
struct leg_state {
  bool header_read = false;  // column count and definitions consumed
  bool done = false;         // its terminator (or ERR) was read, or it was given up
};

// Shared with the deadline timer's handler, which may run after the merge returned.
struct deadline_state {
  bool expired = false;
  std::vector<backend::backend_connection*> conns;
};

class merger {
 public:
  merger(std::vector<fan_leg>& legs, const std::vector<std::string>& names,
         const routing::merge_spec& spec, net::stream& client, std::uint8_t& client_seq,
         std::uint32_t client_caps, std::uint16_t terminator_status, merge_settings settings,
         std::shared_ptr<deadline_state> deadline)
      : legs_(legs),
        names_(names),
        spec_(spec),
        client_(client),
        client_seq_(client_seq),
        client_caps_(client_caps),
        terminator_status_(terminator_status),
        settings_(settings),
        deadline_(std::move(deadline)),
        need_fields_(spec.mode != routing::merge_mode::concat || spec.distinct),
        streams_(legs.size()),
        gather_(1) {
    ctx_.max_rows = settings.max_rows;
  }

  awaitable<gather_status> run();

 private:
  awaitable<bool> read_headers();
  // Builds the plan tree for spec_ and streams its rows to the client.
  awaitable<bool> run_plan();
  // Reads more of leg k's reply into its connection's buffer (its leaf needs input).
  awaitable<bool> feed(std::size_t k);
  awaitable<void> drain_all();
  awaitable<bool> flush(bool force);
  void fail(mysql_error e) { ctx_.fail(std::move(e)); }
  void fail_lost(std::size_t k, std::string_view what) {
    backend::backend_connection& be = *legs_[k].conn;
    if (deadline_->expired)
      be.mark_broken();  // (slow, not failing)
    else
      be.mark_failed();
    legs_[k].lost = true;
    streams_[k].done = true;
    if (k < leaves_.size()) leaves_[k].lose();
    if (deadline_->expired) {
      fail(mysql_error{er::statement_timeout, "70100",
                       "ShardGate: the scattered SELECT did not finish within "
                       "routing.scatter_timeout_ms=" +
                           std::to_string(settings_.deadline.count()) + " (shard " + names_[k] +
                           " was still sending)"});
    } else {
      fail(lost_error(be, what));
    }
  }
  void fail_merge(const std::string& why) { ctx_.fail_merge(why); }

  std::vector<fan_leg>& legs_;
  const std::vector<std::string>& names_;
  const routing::merge_spec& spec_;
  net::stream& client_;
  std::uint8_t& client_seq_;
  std::uint32_t client_caps_;
  std::uint16_t terminator_status_;
  merge_settings settings_;
  std::shared_ptr<deadline_state> deadline_;
  bool need_fields_;  // the merge reads the rows' fields (anything but plain concatenation)
  std::vector<leg_state> streams_;
  bytes payload_;            // (header packets)
  std::vector<bytes> defs_;  // the first shard's column definitions
  std::vector<column_definition> columns_;
  merge::row_layout layout_;
  plan_context ctx_;
  bool client_lost_ = false;
  bytes out_;
  bytes tail_;
  std::vector<asio::const_buffer> gather_;
  // The plan: a leaf per shard, then the nodes spec_ asks for.
  std::vector<shard_rows> leaves_;
  std::optional<concatenate> concatenate_;
  std::optional<merge_sort> merge_sort_;
  std::optional<aggregate> aggregate_;
  std::optional<distinct> distinct_;
  std::optional<limit> limit_;
  std::optional<project> project_;
};

awaitable<bool> merger::flush(bool force) {
  if (out_.empty() || (!force && out_.size() < 64 * 1024)) co_return true;
  gather_[0] = asio::buffer(out_);
  net::traffic.out += out_.size();
  auto ec = co_await net::write_all(client_, gather_, settings_.write_timeout);
  out_.clear();
  if (ec) client_lost_ = true;
  co_return !ec;
}

awaitable<bool> merger::read_headers() {
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    fan_leg& leg = legs_[k];
    leg_state& st = streams_[k];
    std::uint8_t seq = 0;
    backend::backend_connection& be = *leg.conn;
    if (!leg.sent) {
      st.done = true;
      fail(lost_error(be, "while sending the statement"));
      continue;
    }
    if (deadline_->expired) {
      fail_lost(k, "");
      continue;
    }
    auto ec = co_await net::read_packet(be.stream(), be.buffer(), payload_, seq, max_reply_packet);
    if (ec) {
      fail_lost(k, "while reading the result");
      continue;
    }
    const std::uint8_t first = payload_.empty() ? 0 : payload_[0];
    if (first == err_header) {
      st.done = true;
      fail(shard_error(be, names_[k], payload_));
      continue;
    }
    if (first == ok_header) {
      st.done = true;
      fail(mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: shard " + names_[k] + " returned no resultset"});
      continue;
    }
    std::uint64_t n = 0;
    if (!decode_column_count(payload_, n) || n == 0 || n > 4096) {
      fail_lost(k, "(malformed column count)");
      continue;
    }
    if (k > 0 && !defs_.empty() && n != defs_.size()) {
      fail(mysql_error{er::unknown_error, "HY000",
                       "ShardGate: shard " + names_[k] + " returned " + std::to_string(n) +
                           " columns, another shard " + std::to_string(defs_.size()) +
                           " (is the table's definition the same on every shard?)"});
    }
    const bool keep = defs_.empty();
    for (std::uint64_t c = 0; c < n; ++c) {
      ec = co_await net::read_packet(be.stream(), be.buffer(), payload_, seq, max_reply_packet);
      if (ec) break;
      if (keep) defs_.push_back(payload_);
    }
    if (!ec && !(be.capabilities() & cap::deprecate_eof))
      ec = co_await net::read_packet(be.stream(), be.buffer(), payload_, seq, max_reply_packet);
    if (ec) {
      fail_lost(k, "while reading the column definitions");
      if (keep) defs_.clear();
      continue;
    }
    st.header_read = true;
  }
  if (ctx_.failure) co_return false;
  columns_.resize(defs_.size());
  for (std::size_t c = 0; c < defs_.size(); ++c) {
    if (!decode_column_definition(defs_[c], columns_[c])) {
      fail_merge("a malformed column definition");
      co_return false;
    }
  }
  std::string why;
  if (!layout_.resolve(spec_, columns_, why)) {
    fail_merge(why);
    co_return false;
  }
  // The client's header: the visible columns only.
  tail_.clear();
  encode_column_count(tail_, layout_.visible);
  append_packet(out_, tail_, client_seq_);
  for (std::size_t c = 0; c < layout_.visible; ++c) append_packet(out_, defs_[c], client_seq_);
  if (!(client_caps_ & cap::deprecate_eof)) {
    tail_.clear();
    encode_eof(tail_, {0, terminator_status_});
    append_packet(out_, tail_, client_seq_);
  }
  co_return true;
}

awaitable<void> merger::drain_all() {
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    leg_state& st = streams_[k];
    if (k < leaves_.size()) {
      st.done = st.done || leaves_[k].done();
      if (leaves_[k].lost()) legs_[k].lost = true;
    }
    if (st.done || legs_[k].lost) continue;
    backend::backend_connection& be = *legs_[k].conn;
    if (!st.header_read) {
      // Its reply was not read at all: read and drop it whole.
      std::uint8_t seq = 0;
      auto ec =
          co_await net::read_packet(be.stream(), be.buffer(), payload_, seq, max_reply_packet);
      const std::uint8_t first = payload_.empty() ? 0 : payload_[0];
      bool ok = !ec;
      if (ok && first != err_header && first != ok_header)
        ok = co_await drain_resultset(be, payload_);
      if (!ok) {
        be.mark_failed();
        legs_[k].lost = true;
      }
      st.done = true;
      continue;
    }
    std::uint8_t seq = 0;
    for (;;) {
      if (deadline_->expired) {
        fail_lost(k, "");
        break;
      }
      auto ec =
          co_await net::read_packet(be.stream(), be.buffer(), payload_, seq, max_reply_packet);
      if (ec) {
        be.mark_failed();
        legs_[k].lost = true;
        break;
      }
      const std::uint8_t first = payload_.empty() ? 0 : payload_[0];
      if (first == err_header) break;
      if (is_terminator(first, payload_.size())) {
        std::uint16_t ignored = 0;
        if (!read_terminator(be, payload_, ignored) || (be.status & status::more_results_exist)) {
          be.mark_failed();
          legs_[k].lost = true;
        }
        break;
      }
    }
    st.done = true;
  }
}

awaitable<bool> merger::feed(std::size_t k) {
  if (deadline_->expired) {
    fail_lost(k, "");
    co_return false;
  }
  backend::backend_connection& be = *legs_[k].conn;
  // Read in larger steps once a big packet is on its way.
  std::size_t want = 4096;
  if (be.buffer().size() >= frame_header_size) {
    const auto h = decode_frame_header(be.buffer().data());
    want = std::max<std::size_t>(want, std::min<std::size_t>(h.length + 8, 1u << 20));
  }
  if (auto ec = co_await net::read_some(be.stream(), be.buffer(), want)) {
    fail_lost(k, "while reading rows");
    co_return false;
  }
  co_return true;
}

awaitable<bool> merger::run_plan() {
  leaves_.reserve(legs_.size());
  std::vector<row_source*> children;
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    leaves_.emplace_back(*legs_[k].conn, names_[k], static_cast<int>(k), ctx_, layout_.columns,
                         need_fields_);
    children.push_back(&leaves_.back());
  }
  row_source* root = nullptr;
  switch (spec_.mode) {
    case merge_mode::concat:
      root = &concatenate_.emplace(std::move(children));
      break;
    case merge_mode::sort:
      root = &merge_sort_.emplace(std::move(children), layout_.order);
      break;
    case merge_mode::aggregate:
      concatenate_.emplace(std::move(children));
      root = &aggregate_.emplace(*concatenate_, spec_, layout_, ctx_);
      break;
  }
  if (spec_.distinct) root = &distinct_.emplace(*root, layout_.distinct, ctx_);
  root = &limit_.emplace(*root, spec_.has_limit, spec_.offset, spec_.count);
  root = &project_.emplace(*root, columns_, layout_.visible, spec_.hidden != 0,
                           settings_.binary_rows, ctx_);
  for (;;) {
    // Past routing.scatter_timeout_ms a shard still sending fails the statement (run()
    // reports it), rows buffered or not; rows the plan already holds (every shard done, e.g.
    // aggregated groups) still go out.
    if (deadline_->expired &&
        std::any_of(leaves_.begin(), leaves_.end(), [](const shard_rows& l) { return !l.done(); }))
      co_return false;
    row_ref row;
    const pull p = root->next(row);
    if (p == pull::row) {
      append_packet(out_, row.payload, client_seq_);
      const bool sent = co_await flush(false);
      if (!sent) co_return false;
      continue;
    }
    if (p == pull::need_input) {
      const auto k = static_cast<std::size_t>(ctx_.waiting);
      ctx_.waiting = -1;
      const bool fed = co_await feed(k);
      if (!fed) co_return false;
      continue;
    }
    co_return p == pull::end;
  }
}

awaitable<gather_status> merger::run() {
  const bool header = co_await read_headers();
  if (header) (void)co_await run_plan();
  if (client_lost_ || deadline_->expired) {
    if (!client_lost_) {
      // Past the deadline: whatever a shard still sends is dropped with its connection.
      for (std::size_t k = 0; k < legs_.size(); ++k)
        if (!streams_[k].done && !(k < leaves_.size() && leaves_[k].done())) fail_lost(k, "");
    }
  }
  if (client_lost_) {
    // Leave the legs unread: their connections close with the rest of the session.
    for (auto& leg : legs_) {
      leg.conn->mark_broken();
      leg.lost = true;
    }
    co_return gather_status::client_lost;
  }
  // Read what the shards still send (LIMIT reached, or another shard failed) so their
  // connections stay usable.
  co_await drain_all();
  tail_.clear();
  if (ctx_.failure) {
    if (!header) out_.clear();  // nothing of the resultset reached the client
    encode_error(tail_, *ctx_.failure, client_caps_);
  } else if (client_caps_ & cap::deprecate_eof) {
    ok_packet ok;
    ok.status = terminator_status_;
    ok.warnings = static_cast<std::uint16_t>(std::min<std::uint32_t>(ctx_.warnings, 0xffff));
    encode_ok(tail_, ok, client_caps_, eof_header);
  } else {
    encode_eof(tail_, {static_cast<std::uint16_t>(std::min<std::uint32_t>(ctx_.warnings, 0xffff)),
                       terminator_status_});
  }
  append_packet(out_, tail_, client_seq_);
  const bool written = co_await flush(true);
  co_return written ? gather_status::complete : gather_status::client_lost;
}

}  // namespace

awaitable<gather_status> merge_rows(std::vector<fan_leg>& legs,
                                    const std::vector<std::string>& shard_names,
                                    const routing::merge_spec& spec, net::stream& client,
                                    std::uint8_t& client_seq, std::uint32_t client_caps,
                                    std::uint16_t terminator_status, merge_settings settings) {
  auto deadline = std::make_shared<deadline_state>();
  std::optional<asio::steady_timer> timer;
  if (settings.deadline.count() > 0) {
    for (auto& leg : legs) deadline->conns.push_back(leg.conn);
    timer.emplace(client.get_executor());
    timer->expires_after(settings.deadline);
    timer->async_wait([deadline](const error_code& ec) {
      if (ec) return;
      deadline->expired = true;
      for (auto* conn : deadline->conns) {
        // Shut down, not only cancel: a read issued after this moment fails at once too.
        error_code ignored;
        conn->mark_broken();
        conn->stream().shutdown();
        conn->stream().cancel();
      }
      deadline->conns.clear();
    });
  }
  merger m(legs, shard_names, spec, client, client_seq, client_caps, terminator_status, settings,
           deadline);
  const gather_status status = co_await m.run();
  deadline->conns.clear();  // the connections go back to their pools now
  if (timer) timer->cancel();
  co_return status;
}

}  // namespace shardgate::execution
