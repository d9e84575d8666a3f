// Packet framing: 3-byte little-endian payload length + 1-byte sequence id.
// A payload of 0xffffff bytes or more is split into frames of 0xffffff bytes followed by
// a shorter frame (possibly empty). Messages never touch headers; this layer does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"
#include "protocol/constants.hpp"

namespace shardgate::protocol {

struct frame_header {
  std::uint32_t length;
  std::uint8_t seq;
};

inline frame_header decode_frame_header(const std::uint8_t* p) noexcept {
  return {static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
              (static_cast<std::uint32_t>(p[2]) << 16),
          p[3]};
}

inline void encode_frame_header(std::uint8_t* p, std::uint32_t length, std::uint8_t seq) noexcept {
  p[0] = static_cast<std::uint8_t>(length);
  p[1] = static_cast<std::uint8_t>(length >> 8);
  p[2] = static_cast<std::uint8_t>(length >> 16);
  p[3] = seq;
}

// Appends `payload` as one logical packet (one or more frames) starting at sequence id
// `seq`; `seq` is advanced past the frames written.
void append_packet(bytes& out, byte_span payload, std::uint8_t& seq);

// Result of looking for one complete logical packet at the start of a buffer.
struct packet_extent {
  std::size_t wire_size;     // bytes the packet occupies in the buffer, headers included
  std::size_t payload_size;  // joined payload length
  std::uint8_t first_seq;    // sequence id of its first frame
  std::uint8_t last_seq;     // sequence id of its last frame
  std::size_t frames;
};

// Returns the extent of the first logical packet if all its frames are in `buf`;
// nullopt if more bytes are needed. Payloads larger than `max_payload` make
// `too_large` true (and return nullopt) as soon as the headers seen prove it.
std::optional<packet_extent> find_packet(byte_span buf, std::size_t max_payload, bool& too_large);

// Copies the payload of a complete packet (found by find_packet) out of its frames.
void join_frames(byte_span buf, const packet_extent& extent, bytes& payload);

}  // namespace shardgate::protocol
