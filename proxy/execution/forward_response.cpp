#include "execution/forward_response.hpp"

#include <algorithm>
#include <vector>

#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"

namespace shardgate::execution {

using namespace protocol;

namespace {

using backend::output_segment;

// The output gathered for one write: pieces of the backend read buffer and of the
// rewrite scratch buffer, kept as offsets because both buffers may move.
class output_batch {
 public:
  explicit output_batch(backend::forward_buffers& b) : segments_(b.segments), buffers_(b.gather) {
    segments_.clear();
  }

  void add_buffer(std::size_t offset, std::size_t length) {
    if (!segments_.empty() && !segments_.back().rewritten &&
        segments_.back().offset + segments_.back().length == offset) {
      segments_.back().length += length;  // contiguous: extend
      return;
    }
    segments_.push_back({false, offset, length});
  }
  void add_packet(bytes& scratch, byte_span payload, std::uint8_t& seq) {
    std::size_t at = scratch.size();
    append_packet(scratch, payload, seq);
    segments_.push_back({true, at, scratch.size() - at});
  }
  bool empty() const { return segments_.empty(); }

  awaitable<error_code> flush(net::stream& client, const std::uint8_t* buffer, bytes& scratch,
                              std::chrono::milliseconds timeout) {
    buffers_.clear();
    for (const auto& s : segments_)
      buffers_.emplace_back(s.rewritten ? scratch.data() + s.offset : buffer + s.offset, s.length);
    segments_.clear();
    for (const auto& b : buffers_) net::traffic.out += b.size();
    error_code ec = co_await net::write_all(client, buffers_, timeout);
    scratch.clear();
    co_return ec;
  }

 private:
  std::vector<output_segment>& segments_;
  std::vector<asio::const_buffer>& buffers_;
};

}  // namespace

awaitable<forward_result> forward_response(backend::backend_connection& backend,
                                           net::stream& client, std::uint8_t& client_seq,
                                           std::chrono::milliseconds write_timeout) {
  response_translator& tr = backend.translator();
  net::read_buffer& in = backend.buffer();
  backend::forward_buffers& fb = backend.io_buffers();
  bytes& scratch = fb.rewrite;
  bytes& replacement = fb.replacement;
  bytes& pending_eof = fb.pending_eof;
  scratch.clear();
  output_batch out(fb);

  std::size_t pos = 0;             // parse position within in.data()
  std::size_t pass_remaining = 0;  // payload bytes of the current frame still to pass on
  bool continuation = false;       // the current packet continues in another frame
  bool eof_after_payload = false;  // send `pending_eof` once the payload passed

  for (;;) {
    std::size_t need = 0;  // bytes needed at `pos` before parsing can go on
    for (;;) {
      const std::size_t avail = in.size() - pos;
      if (pass_remaining > 0) {
        if (avail == 0) break;
        const std::size_t n = std::min(avail, pass_remaining);
        out.add_buffer(pos, n);
        pos += n;
        pass_remaining -= n;
        if (pass_remaining == 0 && eof_after_payload && !continuation) {
          out.add_packet(scratch, pending_eof, client_seq);
          eof_after_payload = false;
        }
        continue;
      }
      if (!continuation && tr.done()) break;
      if (avail < frame_header_size) {
        need = frame_header_size;
        break;
      }
      std::uint8_t* header = in.data() + pos;
      const frame_header h = decode_frame_header(header);
      if (continuation) {  // a further frame of a packet of 16 MiB or more: pass it on
        header[3] = client_seq++;
        out.add_buffer(pos, frame_header_size);
        pos += frame_header_size;
        pass_remaining = h.length;
        continuation = h.length == max_frame_payload;
        if (pass_remaining == 0 && eof_after_payload && !continuation) {
          out.add_packet(scratch, pending_eof, client_seq);
          eof_after_payload = false;
        }
        continue;
      }
      if (h.length > 0 && avail < frame_header_size + 1) {
        need = frame_header_size + 1;
        break;
      }
      const std::uint8_t first = h.length ? header[frame_header_size] : 0;
      const bool whole = tr.needs_payload(first, h.length);
      if (whole) {
        if (h.length >= max_frame_payload)
          co_return forward_result{forward_status::protocol_error, {}};
        if (avail < frame_header_size + h.length) {
          need = frame_header_size + h.length;
          break;
        }
      }
      const std::size_t visible = std::min<std::size_t>(h.length, avail - frame_header_size);
      const packet_verdict v = tr.on_packet(
          first, h.length, byte_span(header + frame_header_size, visible), replacement);
      if (v.protocol_error) co_return forward_result{forward_status::protocol_error, {}};
      switch (v.action) {
        case packet_action::forward:
        case packet_action::forward_then_eof:
          header[3] = client_seq++;
          out.add_buffer(pos, frame_header_size);
          pos += frame_header_size;
          pass_remaining = h.length;
          continuation = h.length == max_frame_payload;
          if (v.action == packet_action::forward_then_eof) {
            pending_eof = replacement;
            eof_after_payload = true;
            if (pass_remaining == 0 && !continuation) {
              out.add_packet(scratch, pending_eof, client_seq);
              eof_after_payload = false;
            }
          }
          break;
        case packet_action::drop:
          pos += frame_header_size + h.length;  // only small, whole packets are dropped
          break;
        case packet_action::replace:
          out.add_packet(scratch, replacement, client_seq);
          pos += frame_header_size + h.length;
          break;
      }
    }

    const bool finished = tr.done() && pass_remaining == 0 && !continuation && !eof_after_payload;
    if (!out.empty()) {
      auto ec = co_await out.flush(client, in.data(), scratch, write_timeout);
      if (ec) {
        in.consume(pos);
        co_return forward_result{forward_status::client_lost, ec};
      }
    }
    in.consume(pos);
    pos = 0;
    if (finished) {
      // Give memory back after an unusually large packet.
      if (in.capacity() > (1u << 20)) in.shrink(64 * 1024);
      co_return forward_result{};
    }
    const std::size_t min_free =
        need > in.size() ? std::max<std::size_t>(need - in.size(), 16 * 1024) : 16 * 1024;
    in.reserve_free(min_free);
    auto [ec, n] =
        co_await backend.stream().read_some(asio::buffer(in.write_ptr(), in.free_space()));
    if (ec) {
      backend.mark_failed();
      co_return forward_result{forward_status::backend_lost, ec};
    }
    in.commit(n);
  }
}

}  // namespace shardgate::execution
