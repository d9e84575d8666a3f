// COM_CHANGE_USER as libmariadb sends it, with real connection attributes (change_user_test.cpp
// has mysql2's packet, whose attribute block is empty, and hand-built ones).
//
// How the packet was captured (2026-11, Debian 12): a small Python server on 127.0.0.1 sent a
// HandshakeV10 (mysql_native_password, scramble "0123456789abcdefghij", CLIENT_PLUGIN_AUTH |
// CLIENT_CONNECT_ATTRS | CLIENT_SECURE_CONNECTION | ...), answered the HandshakeResponse41 and
// the next packet with OK and logged each payload. Client: libmariadb 3.3.20,
// mysql_real_connect(app/app/shop) with the connect attribute program_name=cu_capture, then
// mysql_change_user(m, "bob", "pw2", "crm"). kCaps are its HandshakeResponse41's capabilities.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/change_user.hpp"
#include "protocol/constants.hpp"
#include "protocol/native_password.hpp"

namespace shardgate::protocol {
namespace {

constexpr std::uint32_t kCaps = 0x00bea28d;
constexpr std::uint8_t kPacket[] = {
    0x11, 0x62, 0x6f, 0x62, 0x00, 0x14, 0xbf, 0x1b, 0x63, 0x41, 0x77, 0x9a, 0x08, 0x84, 0x65, 0xfe,
    0x10, 0x01, 0x65, 0x37, 0x63, 0xe4, 0xf4, 0xa6, 0x30, 0x65, 0x63, 0x72, 0x6d, 0x00, 0x2d, 0x00,
    0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70, 0x61, 0x73,
    0x73, 0x77, 0x6f, 0x72, 0x64, 0x00, 0x84, 0x03, 0x5f, 0x6f, 0x73, 0x05, 0x4c, 0x69, 0x6e, 0x75,
    0x78, 0x0c, 0x5f, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x0a, 0x6c,
    0x69, 0x62, 0x6d, 0x61, 0x72, 0x69, 0x61, 0x64, 0x62, 0x04, 0x5f, 0x70, 0x69, 0x64, 0x05, 0x33,
    0x31, 0x33, 0x36, 0x34, 0x0f, 0x5f, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x76, 0x65, 0x72,
    0x73, 0x69, 0x6f, 0x6e, 0x06, 0x33, 0x2e, 0x33, 0x2e, 0x32, 0x30, 0x09, 0x5f, 0x70, 0x6c, 0x61,
    0x74, 0x66, 0x6f, 0x72, 0x6d, 0x06, 0x78, 0x38, 0x36, 0x5f, 0x36, 0x34, 0x0c, 0x70, 0x72, 0x6f,
    0x67, 0x72, 0x61, 0x6d, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x0a, 0x63, 0x75, 0x5f, 0x63, 0x61, 0x70,
    0x74, 0x75, 0x72, 0x65, 0x0c, 0x5f, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x5f, 0x68, 0x6f, 0x73,
    0x74, 0x09, 0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31,
};

// Where each part of kPacket ends.
constexpr std::size_t kEndOfAuth = 26;       // 0x11, "bob\0", 0x14 + 20 bytes
constexpr std::size_t kEndOfDatabase = 30;   // "crm\0"
constexpr std::size_t kEndOfCollation = 32;  // 0x2d 0x00
constexpr std::size_t kEndOfPlugin = 54;     // "mysql_native_password\0", then 0x84 + 132 bytes

bytes prefix(std::size_t n) {
  return bytes(std::begin(kPacket), std::begin(kPacket) + static_cast<std::ptrdiff_t>(n));
}

TEST(change_user_libmariadb, decodes_every_field) {
  change_user_request r;
  ASSERT_TRUE(decode_change_user(kPacket, kCaps, r));
  EXPECT_EQ(r.username, "bob");
  EXPECT_EQ(r.auth_response, native_password_response("pw2", "0123456789abcdefghij"));
  EXPECT_EQ(r.database, "crm");
  EXPECT_EQ(r.collation, 45);
  EXPECT_EQ(r.auth_plugin_name, "mysql_native_password");
  const std::vector<std::pair<std::string, std::string>> attrs = {
      {"_os", "Linux"},
      {"_client_name", "libmariadb"},
      {"_pid", "31364"},
      {"_client_version", "3.3.20"},
      {"_platform", "x86_64"},
      {"program_name", "cu_capture"},
      {"_server_host", "127.0.0.1"},
  };
  EXPECT_EQ(r.attributes, attrs);
}

TEST(change_user_libmariadb, reencodes_byte_for_byte) {
  change_user_request r;
  ASSERT_TRUE(decode_change_user(kPacket, kCaps, r));
  bytes out;
  encode_change_user(out, kCaps, r);
  EXPECT_EQ(out, bytes(std::begin(kPacket), std::end(kPacket)));
}

// True exactly where an old-style packet may end.
TEST(change_user_libmariadb, every_truncation) {
  for (std::size_t n = 0; n < sizeof kPacket; ++n) {
    change_user_request r;
    const bool expected =
        n == kEndOfAuth || n == kEndOfDatabase || n == kEndOfCollation || n == kEndOfPlugin;
    EXPECT_EQ(decode_change_user(prefix(n), kCaps, r), expected) << "length " << n;
  }
}

TEST(change_user_libmariadb, auth_length_over_the_end) {
  bytes p = prefix(kEndOfAuth);
  change_user_request r;
  for (std::uint8_t n : {21, 0xff}) {
    p[5] = n;
    EXPECT_FALSE(decode_change_user(p, kCaps, r)) << int(n);
  }
}

TEST(change_user_libmariadb, attribute_block_overruns) {
  change_user_request r;
  bytes p(std::begin(kPacket), std::end(kPacket));
  ASSERT_EQ(p[kEndOfPlugin], 0x84);
  p[kEndOfPlugin] = 0x85;  // one more than follows
  EXPECT_FALSE(decode_change_user(p, kCaps, r));
  // One less: the last value runs past the block (with and without the byte after it).
  p[kEndOfPlugin] = 0x83;
  EXPECT_FALSE(decode_change_user(p, kCaps, r));
  p.pop_back();
  EXPECT_FALSE(decode_change_user(p, kCaps, r));
  // Invalid lenenc prefixes for the block's length.
  for (std::uint8_t bad : {0xfb, 0xff}) {
    bytes q = prefix(kEndOfPlugin);
    q.push_back(bad);
    EXPECT_FALSE(decode_change_user(q, kCaps, r)) << int(bad);
  }
}

TEST(change_user_libmariadb, wrong_command_byte) {
  change_user_request r;
  r.username = "kept";
  bytes p(std::begin(kPacket), std::end(kPacket));
  for (std::uint8_t c : {0x00, 0x03, 0x10, 0x12, 0xff}) {
    p[0] = c;
    EXPECT_FALSE(decode_change_user(p, kCaps, r)) << int(c);
  }
  EXPECT_EQ(r.username, "kept");
}

}  // namespace
}  // namespace shardgate::protocol
