// byte_reader / byte_writer: length-encoded integers at every boundary, malformed prefixes,
// truncation and the reader's sticky failure.
#include "protocol/bytes.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace shardgate::protocol {
namespace {

struct lenenc_case {
  const char* name;
  std::uint64_t value;
  bytes encoded;
};

const std::vector<lenenc_case>& lenenc_cases() {
  static const std::vector<lenenc_case> cases = {
      {"zero", 0, {0x00}},
      {"one", 1, {0x01}},
      {"max_one_byte_250", 250, {0xfa}},
      {"min_two_byte_251", 251, {0xfc, 0xfb, 0x00}},
      {"0xff", 0xff, {0xfc, 0xff, 0x00}},
      {"max_two_byte_0xffff", 0xffff, {0xfc, 0xff, 0xff}},
      {"min_three_byte_0x10000", 0x10000, {0xfd, 0x00, 0x00, 0x01}},
      {"max_three_byte_0xffffff", 0xffffff, {0xfd, 0xff, 0xff, 0xff}},
      {"min_eight_byte_0x1000000",
       0x1000000,
       {0xfe, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}},
      {"0x100000000", 0x100000000ull, {0xfe, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}},
      {"max_u64",
       std::numeric_limits<std::uint64_t>::max(),
       {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
  };
  return cases;
}

TEST(lenenc_int, encodes_to_expected_bytes_and_size) {
  for (const auto& c : lenenc_cases()) {
    SCOPED_TRACE(c.name);
    bytes out;
    byte_writer(out).lenenc_int(c.value);
    EXPECT_EQ(out, c.encoded);
    EXPECT_EQ(lenenc_int_size(c.value), c.encoded.size());
  }
}

TEST(lenenc_int, decodes_exactly_its_bytes) {
  for (const auto& c : lenenc_cases()) {
    SCOPED_TRACE(c.name);
    bytes in = c.encoded;
    in.push_back(0x42);  // a following byte must be left alone
    byte_reader r(in);
    EXPECT_EQ(r.lenenc_int(), c.value);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.position(), c.encoded.size());
    EXPECT_EQ(r.u8(), 0x42);
    EXPECT_TRUE(r.at_end());
  }
}

TEST(lenenc_int, every_truncation_fails) {
  for (const auto& c : lenenc_cases()) {
    SCOPED_TRACE(c.name);
    for (std::size_t len = 0; len < c.encoded.size(); ++len) {
      const bytes cut(c.encoded.begin(), c.encoded.begin() + static_cast<std::ptrdiff_t>(len));
      byte_reader r(cut);
      EXPECT_EQ(r.lenenc_int(), 0u) << len;
      EXPECT_FALSE(r.ok()) << len;
      EXPECT_EQ(r.remaining(), 0u);
    }
  }
}

TEST(lenenc_int, null_and_error_prefixes_are_invalid) {
  for (std::uint8_t prefix : {0xfb, 0xff}) {
    const bytes in = {prefix, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    byte_reader r(in);
    EXPECT_EQ(r.lenenc_int(), 0u);
    EXPECT_FALSE(r.ok());
    byte_reader s(in);
    EXPECT_EQ(s.lenenc_str(), "");
    EXPECT_FALSE(s.ok());
  }
}

TEST(lenenc_int, size_boundaries) {
  EXPECT_EQ(lenenc_int_size(250), 1u);
  EXPECT_EQ(lenenc_int_size(251), 3u);
  EXPECT_EQ(lenenc_int_size(0xffff), 3u);
  EXPECT_EQ(lenenc_int_size(0x10000), 4u);
  EXPECT_EQ(lenenc_int_size(0xffffff), 4u);
  EXPECT_EQ(lenenc_int_size(0x1000000), 9u);
  EXPECT_EQ(lenenc_int_size(std::numeric_limits<std::uint64_t>::max()), 9u);
}

TEST(lenenc_str, round_trip_at_length_boundaries) {
  for (std::size_t n : {0u, 1u, 250u, 251u, 0xffffu, 0x10000u}) {
    SCOPED_TRACE(n);
    const std::string s(n, 'q');
    bytes out;
    byte_writer(out).lenenc_str(s);
    EXPECT_EQ(out.size(), lenenc_int_size(n) + n);
    byte_reader r(out);
    EXPECT_EQ(r.lenenc_str(), s);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
  }
}

TEST(lenenc_str, length_beyond_the_buffer_fails) {
  const std::vector<bytes> bad = {
      {0x05, 'a', 'b', 'c', 'd'},                                   // one byte short
      {0xfc, 0x00, 0x01, 'x'},                                      // 256 announced
      {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'},  // 2^64-1 announced
      {0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80},       // 2^63 announced
  };
  for (const auto& b : bad) {
    byte_reader r(b);
    EXPECT_EQ(r.lenenc_str(), "");
    EXPECT_FALSE(r.ok());
  }
}

TEST(nullable_lenenc_str, null_marker_empty_and_value) {
  const bytes in = {0xfb, 0x00, 0x02, 'h', 'i', 0xfb};
  byte_reader r(in);
  EXPECT_EQ(r.nullable_lenenc_str(), std::nullopt);
  EXPECT_EQ(r.nullable_lenenc_str(), std::optional<std::string_view>(""));
  EXPECT_EQ(r.nullable_lenenc_str(), std::optional<std::string_view>("hi"));
  EXPECT_EQ(r.nullable_lenenc_str(), std::nullopt);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  (void)r.nullable_lenenc_str();  // nothing left
  EXPECT_FALSE(r.ok());
  const bytes err = {0xff};
  byte_reader e(err);
  (void)e.nullable_lenenc_str();
  EXPECT_FALSE(e.ok());
}

TEST(byte_reader, fixed_width_little_endian) {
  const bytes in = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12};
  byte_reader r(in);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0302);
  EXPECT_EQ(r.u24(), 0x060504u);
  EXPECT_EQ(r.u32(), 0x0a090807u);
  EXPECT_EQ(r.u64(), 0x1211100f0e0d0c0bull);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  bytes out;
  byte_writer w(out);
  w.u8(0x01);
  w.u16(0x0302);
  w.u24(0x060504);
  w.u32(0x0a090807);
  w.u64(0x1211100f0e0d0c0bull);
  EXPECT_EQ(out, in);
}

TEST(byte_reader, failure_is_sticky) {
  const bytes in = {0x01, 0x02, 0x03};
  byte_reader r(in);
  EXPECT_EQ(r.u32(), 0u);  // too short
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.u8(), 0u);  // would fit, but the reader has failed
  EXPECT_EQ(r.peek(), 0u);
  EXPECT_EQ(r.take(1), "");
  EXPECT_EQ(r.null_terminated(), "");
  EXPECT_EQ(r.rest(), "");
  EXPECT_FALSE(r.ok());
}

TEST(byte_reader, null_terminated_and_take) {
  const bytes in = {'a', 'b', 0x00, 0x00, 'c'};
  byte_reader r(in);
  EXPECT_EQ(r.null_terminated(), "ab");
  EXPECT_EQ(r.null_terminated(), "");
  EXPECT_EQ(r.peek(), 'c');
  EXPECT_EQ(r.null_terminated(), "");  // no NUL before the end
  EXPECT_FALSE(r.ok());

  byte_reader t(in);
  EXPECT_EQ(t.take(5), std::string_view("ab\0\0c", 5));
  EXPECT_TRUE(t.at_end());
  EXPECT_EQ(t.take(0), "");
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(t.take(1), "");
  EXPECT_FALSE(t.ok());

  byte_reader huge(in);
  huge.skip(std::numeric_limits<std::size_t>::max());
  EXPECT_FALSE(huge.ok());

  byte_reader empty(byte_span{});
  EXPECT_TRUE(empty.at_end());
  EXPECT_EQ(empty.rest(), "");
  EXPECT_TRUE(empty.ok());
  EXPECT_EQ(empty.null_terminated(), "");
  EXPECT_FALSE(empty.ok());
}

TEST(byte_writer, strings_and_zeros) {
  bytes out;
  byte_writer w(out);
  w.null_terminated("ab");
  w.lenenc_str("");
  w.raw(std::string_view("xy"));
  w.zeros(3);
  const bytes expected = {'a', 'b', 0x00, 0x00, 'x', 'y', 0x00, 0x00, 0x00};
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace shardgate::protocol
