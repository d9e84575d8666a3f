#include "protocol/framing.hpp"

#include <algorithm>

namespace shardgate::protocol {

void append_packet(bytes& out, byte_span payload, std::uint8_t& seq) {
  std::size_t offset = 0;
  for (;;) {
    std::size_t chunk = std::min(payload.size() - offset, max_frame_payload);
    std::size_t at = out.size();
    out.resize(at + frame_header_size);
    encode_frame_header(out.data() + at, static_cast<std::uint32_t>(chunk), seq++);
    out.insert(out.end(), payload.begin() + offset, payload.begin() + offset + chunk);
    offset += chunk;
    // A frame of exactly max_frame_payload bytes announces a continuation frame.
    if (chunk < max_frame_payload) break;
  }
}

std::optional<packet_extent> find_packet(byte_span buf, std::size_t max_payload, bool& too_large) {
  too_large = false;
  packet_extent e{0, 0, 0, 0, 0};
  std::size_t pos = 0;
  for (;;) {
    if (buf.size() - pos < frame_header_size) return std::nullopt;
    frame_header h = decode_frame_header(buf.data() + pos);
    if (e.frames == 0) e.first_seq = h.seq;
    e.last_seq = h.seq;
    e.payload_size += h.length;
    ++e.frames;
    if (e.payload_size > max_payload) {
      too_large = true;
      return std::nullopt;
    }
    if (buf.size() - pos - frame_header_size < h.length) return std::nullopt;
    pos += frame_header_size + h.length;
    if (h.length < max_frame_payload) break;
  }
  e.wire_size = pos;
  return e;
}

void join_frames(byte_span buf, const packet_extent& extent, bytes& payload) {
  payload.clear();
  payload.reserve(extent.payload_size);
  std::size_t pos = 0;
  for (std::size_t i = 0; i < extent.frames; ++i) {
    frame_header h = decode_frame_header(buf.data() + pos);
    pos += frame_header_size;
    payload.insert(payload.end(), buf.begin() + pos, buf.begin() + pos + h.length);
    pos += h.length;
  }
}

}  // namespace shardgate::protocol
