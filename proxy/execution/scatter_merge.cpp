#include "execution/scatter_merge.hpp"

#include <memory>
#include <optional>

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

// One shard's resultset as it is read.
struct leg_stream {
  bytes payload;
  merge::row_fields fields;
  std::uint8_t seq = 0;
  bool header_read = false;  // column count and definitions consumed
  bool done = false;         // its terminator (or ERR) was read
};

enum class next_row : std::uint8_t { row, end, failed };

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
        gather_(1) {}

  awaitable<gather_status> run();

 private:
  awaitable<bool> read_headers();
  // Reads leg k's next row into streams_[k].fields.
  awaitable<next_row> read_row(std::size_t k);
  awaitable<void> drain_all();
  // Appends a row's visible prefix to the client buffer and flushes when it is large.
  awaitable<bool> emit(byte_span payload);
  awaitable<bool> emit_owned(const merge::owned_row& row);
  awaitable<bool> emit_binary();  // binary_fields_ in the binary protocol
  awaitable<bool> flush(bool force);
  awaitable<bool> concat();
  awaitable<bool> sort();
  awaitable<bool> aggregate();
  void fail(mysql_error e) {
    if (!failure_) failure_ = std::move(e);
  }
  void fail_lost(std::size_t k, std::string_view what) {
    backend::backend_connection& be = *legs_[k].conn;
    if (deadline_->expired)
      be.mark_broken();  // (slow, not failing)
    else
      be.mark_failed();
    legs_[k].lost = true;
    streams_[k].done = true;
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
  // DISTINCT remembers every row it let through: bounded like the aggregator's groups.
  bool distinct_full() {
    if (distinct_.size() <= settings_.max_rows) return false;
    fail(mysql_error{er::out_of_sort_memory, "HY001",
                     "ShardGate: the merge needs more than " + std::to_string(settings_.max_rows) +
                         " distinct rows in memory (routing.merge_max_rows)"});
    return true;
  }
  void fail_merge(const std::string& why) {
    fail(mysql_error{er::not_supported_yet, "42000",
                     "ShardGate: cannot merge the shards' rows: " + why});
  }

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
  std::vector<leg_stream> streams_;
  std::vector<bytes> defs_;  // the first shard's column definitions
  std::vector<column_definition> columns_;
  text_row binary_fields_;
  merge::row_layout layout_;
  std::optional<mysql_error> failure_;
  bool client_lost_ = false;
  std::uint32_t warnings_ = 0;
  bytes out_;
  bytes tail_;
  std::vector<asio::const_buffer> gather_;
  merge::limiter limit_;
  merge::distinct_filter distinct_;
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

awaitable<bool> merger::emit(byte_span payload) {
  if (settings_.binary_rows) {
    if (!decode_text_row(payload, columns_.size(), binary_fields_)) {
      fail_merge("a malformed row");
      co_return false;
    }
    co_return co_await emit_binary();
  }
  const std::size_t n =
      spec_.hidden == 0 ? payload.size() : merge::prefix_length(payload, layout_.visible);
  append_packet(out_, payload.subspan(0, n), client_seq_);
  co_return co_await flush(false);
}

awaitable<bool> merger::emit_owned(const merge::owned_row& row) {
  if (settings_.binary_rows) {
    merge::view_of(row, binary_fields_);
    co_return co_await emit_binary();
  }
  tail_.clear();
  merge::encode_row(tail_, row, layout_.visible);
  append_packet(out_, tail_, client_seq_);
  co_return co_await flush(false);
}

awaitable<bool> merger::emit_binary() {
  tail_.clear();
  if (!encode_binary_row(tail_, binary_fields_,
                         std::span<const column_definition>(columns_).first(layout_.visible))) {
    fail_merge("a value that does not read as its column's type");
    co_return false;
  }
  append_packet(out_, tail_, client_seq_);
  co_return co_await flush(false);
}

awaitable<bool> merger::read_headers() {
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    fan_leg& leg = legs_[k];
    leg_stream& st = streams_[k];
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
    auto ec =
        co_await net::read_packet(be.stream(), be.buffer(), st.payload, st.seq, max_reply_packet);
    if (ec) {
      fail_lost(k, "while reading the result");
      continue;
    }
    const std::uint8_t first = st.payload.empty() ? 0 : st.payload[0];
    if (first == err_header) {
      st.done = true;
      fail(shard_error(be, names_[k], st.payload));
      continue;
    }
    if (first == ok_header) {
      st.done = true;
      fail(mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: shard " + names_[k] + " returned no resultset"});
      continue;
    }
    std::uint64_t n = 0;
    if (!decode_column_count(st.payload, n) || n == 0 || n > 4096) {
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
      ec =
          co_await net::read_packet(be.stream(), be.buffer(), st.payload, st.seq, max_reply_packet);
      if (ec) break;
      if (keep) defs_.push_back(st.payload);
    }
    if (!ec && !(be.capabilities() & cap::deprecate_eof))
      ec =
          co_await net::read_packet(be.stream(), be.buffer(), st.payload, st.seq, max_reply_packet);
    if (ec) {
      fail_lost(k, "while reading the column definitions");
      if (keep) defs_.clear();
      continue;
    }
    st.header_read = true;
  }
  if (failure_) co_return false;
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

awaitable<next_row> merger::read_row(std::size_t k) {
  leg_stream& st = streams_[k];
  if (st.done) co_return next_row::end;
  if (deadline_->expired) {
    fail_lost(k, "");
    co_return next_row::failed;
  }
  backend::backend_connection& be = *legs_[k].conn;
  auto ec =
      co_await net::read_packet(be.stream(), be.buffer(), st.payload, st.seq, max_reply_packet);
  if (ec) {
    fail_lost(k, "while reading rows");
    co_return next_row::failed;
  }
  const std::uint8_t first = st.payload.empty() ? 0 : st.payload[0];
  if (first == err_header) {
    st.done = true;
    fail(shard_error(be, names_[k], st.payload));
    co_return next_row::failed;
  }
  if (is_terminator(first, st.payload.size())) {
    st.done = true;
    std::uint16_t warnings = 0;
    const bool readable = read_terminator(be, st.payload, warnings);
    warnings_ += warnings;
    if (!readable || (be.status & status::more_results_exist)) {
      be.mark_failed();
      legs_[k].lost = true;
      fail(mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: multiple results from a scattered statement"});
      co_return next_row::failed;
    }
    co_return next_row::end;
  }
  // A plain concatenation forwards rows as they are: their fields are not needed.
  if (need_fields_ && !decode_text_row(st.payload, layout_.columns, st.fields)) {
    fail_lost(k, "(malformed row)");
    co_return next_row::failed;
  }
  co_return next_row::row;
}

awaitable<void> merger::drain_all() {
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    leg_stream& st = streams_[k];
    if (st.done || legs_[k].lost) continue;
    backend::backend_connection& be = *legs_[k].conn;
    if (!st.header_read) {
      // Its reply was not read at all: read and drop it whole.
      std::uint8_t seq = 0;
      auto ec =
          co_await net::read_packet(be.stream(), be.buffer(), st.payload, seq, max_reply_packet);
      const std::uint8_t first = st.payload.empty() ? 0 : st.payload[0];
      bool ok = !ec;
      if (ok && first != err_header && first != ok_header)
        ok = co_await drain_resultset(be, st.payload);
      if (!ok) {
        be.mark_failed();
        legs_[k].lost = true;
      }
      st.done = true;
      continue;
    }
    for (;;) {
      if (deadline_->expired) {
        fail_lost(k, "");
        break;
      }
      auto ec =
          co_await net::read_packet(be.stream(), be.buffer(), st.payload, st.seq, max_reply_packet);
      if (ec) {
        be.mark_failed();
        legs_[k].lost = true;
        break;
      }
      const std::uint8_t first = st.payload.empty() ? 0 : st.payload[0];
      if (first == err_header) break;
      if (is_terminator(first, st.payload.size())) {
        std::uint16_t ignored = 0;
        if (!read_terminator(be, st.payload, ignored) || (be.status & status::more_results_exist)) {
          be.mark_failed();
          legs_[k].lost = true;
        }
        break;
      }
    }
    st.done = true;
  }
}

awaitable<bool> merger::concat() {
  for (std::size_t k = 0; k < legs_.size() && !limit_.finished(); ++k) {
    for (;;) {
      const next_row r = co_await read_row(k);
      if (r != next_row::row) {
        if (r == next_row::failed) co_return false;
        break;
      }
      if (spec_.distinct && !distinct_.first_time(streams_[k].fields, layout_.distinct)) continue;
      if (spec_.distinct && distinct_full()) co_return false;
      const auto v = limit_.next();
      if (v == merge::limiter::verdict::skip) continue;
      if (v == merge::limiter::verdict::done) break;
      const bool sent = co_await emit(streams_[k].payload);
      if (!sent) co_return false;
      if (limit_.finished()) break;
    }
  }
  co_return true;
}

awaitable<bool> merger::sort() {
  std::vector<merge::row_fields> rows(legs_.size());
  merge::merge_heap heap(layout_.order);
  auto advance = [&](std::size_t k) -> awaitable<bool> {
    const next_row r = co_await read_row(k);
    if (r == next_row::failed) co_return false;
    if (r == next_row::row) {
      rows[k].swap(streams_[k].fields);
      heap.push(k, rows);
    }
    co_return true;
  };
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    const bool ok = co_await advance(k);
    if (!ok) co_return false;
  }
  while (!heap.empty() && !limit_.finished()) {
    const std::size_t k = heap.pop(rows);
    bool wanted = !spec_.distinct || distinct_.first_time(rows[k], layout_.distinct);
    if (wanted && spec_.distinct && distinct_full()) co_return false;
    if (wanted) {
      const auto v = limit_.next();
      if (v == merge::limiter::verdict::done) break;
      if (v == merge::limiter::verdict::emit) {
        const bool sent = co_await emit(streams_[k].payload);
        if (!sent) co_return false;
      }
    }
    // rows[k] views streams_[k].payload: swap back its buffer before reading the next row.
    streams_[k].fields.swap(rows[k]);
    const bool ok = co_await advance(k);
    if (!ok) co_return false;
  }
  co_return true;
}

awaitable<bool> merger::aggregate() {
  merge::aggregator agg(spec_, layout_, settings_.max_rows);
  std::string error;
  for (std::size_t k = 0; k < legs_.size(); ++k) {
    for (;;) {
      const next_row r = co_await read_row(k);
      if (r == next_row::failed) co_return false;
      if (r == next_row::end) break;
      if (!agg.add(streams_[k].fields, error)) {
        if (agg.over_limit())
          fail(mysql_error{er::out_of_sort_memory, "HY001", "ShardGate: " + error});
        else if (agg.out_of_range())
          fail(mysql_error{er::data_out_of_range, "22003", "ShardGate: " + error});
        else
          fail_merge(error);
        co_return false;
      }
    }
  }
  std::vector<merge::owned_row> rows;
  if (!agg.finish(rows, error)) {
    if (agg.out_of_range())
      fail(mysql_error{er::data_out_of_range, "22003", error});
    else
      fail_merge(error);
    co_return false;
  }
  merge::row_fields view;
  for (const auto& row : rows) {
    if (spec_.distinct) {
      merge::view_of(row, view);
      if (!distinct_.first_time(view, layout_.distinct)) continue;
      if (distinct_full()) co_return false;
    }
    const auto v = limit_.next();
    if (v == merge::limiter::verdict::skip) continue;
    if (v == merge::limiter::verdict::done) break;
    const bool sent = co_await emit_owned(row);
    if (!sent) co_return false;
  }
  co_return true;
}

awaitable<gather_status> merger::run() {
  limit_ = merge::limiter(spec_.has_limit, spec_.offset, spec_.count);
  const bool header = co_await read_headers();
  if (header) {
    switch (spec_.mode) {
      case merge_mode::concat:
        (void)co_await concat();
        break;
      case merge_mode::sort:
        (void)co_await sort();
        break;
      case merge_mode::aggregate:
        (void)co_await aggregate();
        break;
    }
  }
  if (client_lost_ || deadline_->expired) {
    if (!client_lost_) {
      // Past the deadline: whatever a shard still sends is dropped with its connection.
      for (std::size_t k = 0; k < legs_.size(); ++k)
        if (!streams_[k].done) fail_lost(k, "");
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
  if (failure_) {
    if (!header) out_.clear();  // nothing of the resultset reached the client
    encode_error(tail_, *failure_, client_caps_);
  } else if (client_caps_ & cap::deprecate_eof) {
    ok_packet ok;
    ok.status = terminator_status_;
    ok.warnings = static_cast<std::uint16_t>(std::min<std::uint32_t>(warnings_, 0xffff));
    encode_ok(tail_, ok, client_caps_, eof_header);
  } else {
    encode_eof(tail_, {static_cast<std::uint16_t>(std::min<std::uint32_t>(warnings_, 0xffff)),
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
