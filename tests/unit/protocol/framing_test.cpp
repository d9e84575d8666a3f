// Packet framing: splitting payloads into 16 MiB frames, finding complete packets in a
// buffer as bytes arrive, joining frames, and rejecting oversized packets early.
// The large cases use real 16 MiB+ buffers.
#include "protocol/framing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

namespace shardgate::protocol {
namespace {

constexpr std::size_t kFrame = max_frame_payload;  // 0xffffff

// Deterministic payload bytes (i % 251: a prime period, so a frame copied to the wrong offset
// shows); cached and filled by doubling because the large ones are 16-32 MiB.
const bytes& pattern(std::size_t n) {
  static std::map<std::size_t, bytes> cache;
  auto [it, inserted] = cache.try_emplace(n);
  if (inserted) {
    bytes& b = it->second;
    b.resize(n);
    for (std::size_t i = 0; i < std::min<std::size_t>(n, 251); ++i)
      b[i] = static_cast<std::uint8_t>(i);
    for (std::size_t have = 251; have < n; have *= 2)
      std::copy_n(b.begin(), std::min(have, n - have),
                  b.begin() + static_cast<std::ptrdiff_t>(have));
  }
  return it->second;
}

// `pattern(n)` framed by append_packet starting at sequence id 3; cached like pattern().
const bytes& framed(std::size_t n) {
  static std::map<std::size_t, bytes> cache;
  auto [it, inserted] = cache.try_emplace(n);
  if (inserted) {
    std::uint8_t seq = 3;
    it->second.reserve(n + 4 * (n / max_frame_payload + 1));
    append_packet(it->second, pattern(n), seq);
  }
  return it->second;
}

struct framing_case {
  const char* name;
  std::size_t payload_size;
  std::vector<std::uint32_t> frame_lengths;  // expected frames, in order
};

const std::vector<framing_case>& framing_cases() {
  static const std::vector<framing_case> cases = {
      {"empty", 0, {0}},
      {"one_byte", 1, {1}},
      {"largest_single_frame", kFrame - 1, {0xfffffe}},
      // Exactly 0xffffff bytes: a full frame announces a continuation, so an empty one follows.
      {"exactly_one_full_frame", kFrame, {0xffffff, 0}},
      {"full_frame_plus_one", kFrame + 1, {0xffffff, 1}},
      {"two_full_frames", 2 * kFrame, {0xffffff, 0xffffff, 0}},
  };
  return cases;
}

// Walks the frames of `wire` and checks their headers.
void expect_frames(const bytes& wire, const std::vector<std::uint32_t>& lengths,
                   std::uint8_t first_seq) {
  std::size_t pos = 0;
  std::uint8_t seq = first_seq;
  for (std::uint32_t len : lengths) {
    ASSERT_LE(pos + frame_header_size, wire.size());
    const frame_header h = decode_frame_header(wire.data() + pos);
    EXPECT_EQ(h.length, len);
    EXPECT_EQ(h.seq, seq);
    ++seq;
    pos += frame_header_size + h.length;
  }
  EXPECT_EQ(pos, wire.size());
}

TEST(framing, append_packet_splits_into_frames) {
  for (const auto& c : framing_cases()) {
    SCOPED_TRACE(c.name);
    const bytes& payload = pattern(c.payload_size);
    const bytes& wire = framed(c.payload_size);
    if (c.payload_size < 1024) {  // the sequence id advances past the frames written
      bytes again;
      std::uint8_t seq = 3;
      append_packet(again, payload, seq);
      EXPECT_EQ(seq, 3 + c.frame_lengths.size());
      EXPECT_EQ(again, wire);
    }
    EXPECT_EQ(wire.size(), c.payload_size + frame_header_size * c.frame_lengths.size());
    expect_frames(wire, c.frame_lengths, 3);
    // Payload bytes are copied in order, frame by frame.
    std::size_t pos = 0, off = 0;
    for (std::uint32_t len : c.frame_lengths) {
      pos += frame_header_size;
      EXPECT_TRUE(std::equal(wire.begin() + pos, wire.begin() + pos + len, payload.begin() + off));
      pos += len;
      off += len;
    }
  }
}

TEST(framing, find_packet_and_join_frames_round_trip) {
  for (const auto& c : framing_cases()) {
    SCOPED_TRACE(c.name);
    const bytes& payload = pattern(c.payload_size);
    bytes wire = framed(c.payload_size);
    const std::size_t packet_wire_size = wire.size();
    // A second packet right behind it must not be counted in.
    std::uint8_t seq = static_cast<std::uint8_t>(3 + c.frame_lengths.size());
    append_packet(wire, pattern(5), seq);

    bool too_large = true;
    auto e = find_packet(wire, 3 * kFrame, too_large);
    ASSERT_TRUE(e);
    EXPECT_FALSE(too_large);
    EXPECT_EQ(e->wire_size, packet_wire_size);
    EXPECT_EQ(e->payload_size, c.payload_size);
    EXPECT_EQ(e->frames, c.frame_lengths.size());
    EXPECT_EQ(e->first_seq, 3);
    EXPECT_EQ(e->last_seq, 3 + c.frame_lengths.size() - 1);
    bytes joined = {0xaa, 0xbb};  // join_frames replaces, not appends
    join_frames(wire, *e, joined);
    EXPECT_TRUE(joined == payload);

    auto second = find_packet(byte_span(wire).subspan(e->wire_size), 3 * kFrame, too_large);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->payload_size, 5u);
    EXPECT_EQ(second->first_seq, 3 + c.frame_lengths.size());
  }
}

// The packet is found only once its last byte is in the buffer.
TEST(framing, incremental_availability) {
  for (const auto& c : framing_cases()) {
    SCOPED_TRACE(c.name);
    const bytes& wire = framed(c.payload_size);
    std::vector<std::size_t> cuts;
    if (wire.size() < 64) {
      for (std::size_t i = 0; i < wire.size(); ++i) cuts.push_back(i);
    } else {
      // Around every header and frame end, plus a few points inside frames.
      std::size_t pos = 0;
      for (std::uint32_t len : c.frame_lengths) {
        for (std::size_t d : {0u, 1u, 3u, 4u, 5u}) cuts.push_back(pos + d);
        cuts.push_back(pos + frame_header_size + len / 2);
        pos += frame_header_size + len;
        cuts.push_back(pos - 1);
      }
    }
    for (std::size_t cut : cuts) {
      if (cut >= wire.size()) continue;
      bool too_large = true;
      EXPECT_FALSE(find_packet(byte_span(wire).first(cut), 3 * kFrame, too_large)) << cut;
      EXPECT_FALSE(too_large) << cut;
    }
    bool too_large = false;
    auto e = find_packet(wire, 3 * kFrame, too_large);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->wire_size, wire.size());
  }
}

TEST(framing, too_large_is_detected_from_headers_alone) {
  const bytes& wire = framed(kFrame + 1);  // frames 0xffffff + 1
  bool too_large = false;

  // The first header alone proves a payload of at least 0xffffff bytes.
  EXPECT_FALSE(find_packet(byte_span(wire).first(4), kFrame - 1, too_large));
  EXPECT_TRUE(too_large);
  // With a limit of exactly 0xffffff only the second header proves it: not before...
  EXPECT_FALSE(find_packet(byte_span(wire).first(4), kFrame, too_large));
  EXPECT_FALSE(too_large);
  EXPECT_FALSE(find_packet(byte_span(wire).first(frame_header_size + kFrame), kFrame, too_large));
  EXPECT_FALSE(too_large);
  EXPECT_FALSE(
      find_packet(byte_span(wire).first(frame_header_size + kFrame + 3), kFrame, too_large));
  EXPECT_FALSE(too_large);
  // ...but as soon as it is in, before the payload byte behind it arrives.
  EXPECT_FALSE(
      find_packet(byte_span(wire).first(2 * frame_header_size + kFrame), kFrame, too_large));
  EXPECT_TRUE(too_large);
  // One more byte of allowance and the whole packet is fine.
  auto e = find_packet(wire, kFrame + 1, too_large);
  EXPECT_TRUE(e);
  EXPECT_FALSE(too_large);
}

TEST(framing, too_large_small_packets_and_reset) {
  bytes wire;
  std::uint8_t seq = 0;
  append_packet(wire, pattern(100), seq);
  bool too_large = false;
  EXPECT_FALSE(find_packet(wire, 99, too_large));
  EXPECT_TRUE(too_large);
  EXPECT_TRUE(find_packet(wire, 100, too_large));
  EXPECT_FALSE(too_large);  // reset by every call
  EXPECT_FALSE(find_packet({}, 100, too_large));
  EXPECT_FALSE(too_large);
}

TEST(framing, sequence_ids_wrap) {
  bytes wire;
  std::uint8_t seq = 255;
  append_packet(wire, pattern(kFrame), seq);  // two frames: 255, 0
  EXPECT_EQ(seq, 1);
  expect_frames(wire, {0xffffff, 0}, 255);
  bool too_large = false;
  auto e = find_packet(wire, kFrame, too_large);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_seq, 255);
  EXPECT_EQ(e->last_seq, 0);
}

TEST(framing, header_encode_decode) {
  std::uint8_t h[4];
  encode_frame_header(h, 0xabcdef, 0x42);
  EXPECT_EQ(h[0], 0xef);
  EXPECT_EQ(h[1], 0xcd);
  EXPECT_EQ(h[2], 0xab);
  EXPECT_EQ(h[3], 0x42);
  const frame_header d = decode_frame_header(h);
  EXPECT_EQ(d.length, 0xabcdefu);
  EXPECT_EQ(d.seq, 0x42);
  // A captured frame: the PyMySQL login OK as it was on the wire.
  const bytes wire = {0x07, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
  bool too_large = false;
  auto e = find_packet(wire, 1024, too_large);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->payload_size, 7u);
  EXPECT_EQ(e->first_seq, 2);
  bytes payload;
  join_frames(wire, *e, payload);
  std::uint8_t s = 2;
  bytes again;
  append_packet(again, payload, s);
  EXPECT_EQ(again, wire);
}

}  // namespace
}  // namespace shardgate::protocol
