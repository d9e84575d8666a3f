// COM_CHANGE_USER: a packet captured from a real client, hand-made full and old-style short
// packets, encode/decode round trips, and every truncation and overrun of a valid packet.
//
// kMysql2ChangeUser was captured (2026, Debian 12) from mysql2 3.11.5 (node, tests/clients)
// logged in to a small Python server on 127.0.0.1 whose greeting offered mysql_native_password
// with the scramble "ABCDEFGHIJKLMNOPQRST"; the client called
// changeUser({user: 'bob', password: 'secret', database: 'db2'}). Its HandshakeResponse41 gave
// the capabilities kMysql2Caps.
#include "protocol/change_user.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/constants.hpp"
#include "protocol/native_password.hpp"

namespace shardgate::protocol {
namespace {

constexpr std::uint32_t kMysql2Caps = 0x10baf3cf;

constexpr std::uint8_t kMysql2ChangeUser[] = {
    0x11, 0x62, 0x6f, 0x62, 0x00, 0x14, 0x28, 0x44, 0x15, 0x90, 0x67, 0x42, 0x85, 0xe7,
    0xd0, 0x3c, 0xae, 0x7a, 0xf2, 0x37, 0x50, 0x47, 0x97, 0xf7, 0x0e, 0x91, 0x64, 0x62,
    0x32, 0x00, 0xe0, 0x00, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69,
    0x76, 0x65, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00, 0x00,
};

constexpr std::uint32_t kFullCaps =
    cap::protocol_41 | cap::secure_connection | cap::plugin_auth | cap::connect_attrs;

// Hand-made: user "app", a 3-byte auth response, database "shop", collation 45
// (utf8mb4_general_ci), plugin caching_sha2_password, attributes _os=Linux and a=(empty).
constexpr std::uint8_t kFull[] = {
    0x11,                          // COM_CHANGE_USER
    'a',  'p',  'p',  0x00,        // user
    0x03, 0xaa, 0x00, 0xbb,        // auth response
    's',  'h',  'o',  'p',  0x00,  // database
    0x2d, 0x00,                    // collation
    'c',  'a',  'c',  'h',  'i',  'n', 'g', '_', 's', 'h', 'a',
    '2',  '_',  'p',  'a',  's',  's', 'w', 'o', 'r', 'd', 0x00,  // plugin
    0x0d,                                                         // attributes: 13 bytes
    0x03, '_',  'o',  's',  0x05, 'L', 'i', 'n', 'u', 'x',        // _os=Linux
    0x01, 'a',  0x00,                                             // a=
};
// Where kFull may end (the optional trailing parts): after the auth response, the database,
// the collation, the plugin name, and the whole packet.
const std::set<std::size_t> kFullEnds = {9, 14, 16, 38, sizeof kFull};

// Old clients: user, auth response, database, nothing after.
constexpr std::uint8_t kShort[] = {0x11, 'a', 'p', 'p', 0x00, 0x02, 0x01, 0x02, 'd', 'b', 0x00};

byte_span span_of(const std::uint8_t* p, std::size_t n) {
  return {p, n};
}

TEST(change_user, captured_mysql2_packet_decodes) {
  change_user_request r;
  ASSERT_TRUE(decode_change_user(kMysql2ChangeUser, kMysql2Caps, r));
  EXPECT_EQ(r.username, "bob");
  EXPECT_EQ(r.auth_response, native_password_response("secret", "ABCDEFGHIJKLMNOPQRST"));
  EXPECT_EQ(r.database, "db2");
  EXPECT_EQ(r.collation, 224);  // utf8mb4_unicode_ci
  EXPECT_EQ(r.auth_plugin_name, "mysql_native_password");
  EXPECT_TRUE(r.attributes.empty());
}

TEST(change_user, captured_mysql2_packet_reencodes_byte_for_byte) {
  change_user_request r;
  ASSERT_TRUE(decode_change_user(kMysql2ChangeUser, kMysql2Caps, r));
  bytes out;
  encode_change_user(out, kMysql2Caps, r);
  EXPECT_EQ(out, bytes(std::begin(kMysql2ChangeUser), std::end(kMysql2ChangeUser)));
}

TEST(change_user, full_packet_with_attributes) {
  change_user_request r;
  ASSERT_TRUE(decode_change_user(kFull, kFullCaps, r));
  EXPECT_EQ(r.username, "app");
  EXPECT_EQ(r.auth_response, std::string("\xaa\x00\xbb", 3));
  EXPECT_EQ(r.database, "shop");
  EXPECT_EQ(r.collation, 45);
  EXPECT_EQ(r.auth_plugin_name, "caching_sha2_password");
  const std::vector<std::pair<std::string, std::string>> attrs = {{"_os", "Linux"}, {"a", ""}};
  EXPECT_EQ(r.attributes, attrs);

  bytes out;
  encode_change_user(out, kFullCaps, r);
  EXPECT_EQ(out, bytes(std::begin(kFull), std::end(kFull)));
}

TEST(change_user, without_plugin_and_attribute_capabilities_the_rest_is_ignored) {
  // The same bytes from a client without CLIENT_PLUGIN_AUTH / CONNECT_ATTRS: the decoder stops
  // after the collation.
  change_user_request r;
  ASSERT_TRUE(decode_change_user(kFull, cap::protocol_41 | cap::secure_connection, r));
  EXPECT_EQ(r.database, "shop");
  EXPECT_EQ(r.collation, 45);
  EXPECT_EQ(r.auth_plugin_name, "");
  EXPECT_TRUE(r.attributes.empty());
}

TEST(change_user, old_style_short_packet) {
  for (std::uint32_t caps : {cap::secure_connection, kFullCaps}) {
    change_user_request r;
    ASSERT_TRUE(decode_change_user(kShort, caps, r)) << caps;
    EXPECT_EQ(r.username, "app");
    EXPECT_EQ(r.auth_response, "\x01\x02");
    EXPECT_EQ(r.database, "db");
    EXPECT_EQ(r.collation, 0);
    EXPECT_EQ(r.auth_plugin_name, "");
    EXPECT_TRUE(r.attributes.empty());
  }
}

TEST(change_user, pre_secure_connection_auth_response_is_nul_terminated) {
  constexpr std::uint8_t packet[] = {0x11, 'u', 0x00, 'p', 'w', 0x00, 'd', 0x00};
  change_user_request r;
  ASSERT_TRUE(decode_change_user(packet, cap::protocol_41, r));
  EXPECT_EQ(r.username, "u");
  EXPECT_EQ(r.auth_response, "pw");
  EXPECT_EQ(r.database, "d");

  bytes out;
  encode_change_user(out, cap::protocol_41, r);
  // The encoder always writes the collation (0 here).
  bytes expected(std::begin(packet), std::end(packet));
  expected.push_back(0x00);
  expected.push_back(0x00);
  EXPECT_EQ(out, expected);
}

TEST(change_user, decode_replaces_what_was_in_the_request) {
  change_user_request r;
  r.auth_plugin_name = "old";
  r.collation = 8;
  r.attributes = {{"k", "v"}};
  ASSERT_TRUE(decode_change_user(kShort, kFullCaps, r));
  EXPECT_EQ(r.auth_plugin_name, "");
  EXPECT_EQ(r.collation, 0);
  EXPECT_TRUE(r.attributes.empty());
}

TEST(change_user, round_trips) {
  change_user_request a;
  a.username = "user\xc3\xa4";
  a.auth_response = std::string(32, '\x00') + std::string(200, '\xff');  // 232 bytes
  a.database = "";
  a.collation = 0xff02;
  a.auth_plugin_name = "mysql_native_password";
  a.attributes = {{"", ""}, {"_client_name", "libmariadb"}, {"long", std::string(300, 'v')}};
  for (std::uint32_t caps :
       {kFullCaps, std::uint32_t{cap::secure_connection | cap::plugin_auth},
        std::uint32_t{cap::secure_connection | cap::connect_attrs}, kMysql2Caps}) {
    bytes out;
    encode_change_user(out, caps, a);
    change_user_request b;
    ASSERT_TRUE(decode_change_user(out, caps, b)) << caps;
    EXPECT_EQ(b.username, a.username);
    EXPECT_EQ(b.auth_response, a.auth_response);
    EXPECT_EQ(b.database, a.database);
    EXPECT_EQ(b.collation, a.collation);
    EXPECT_EQ(b.auth_plugin_name, (caps & cap::plugin_auth) ? a.auth_plugin_name : "");
    EXPECT_EQ(b.attributes.size(), (caps & cap::connect_attrs) ? a.attributes.size() : 0u);
    if (caps & cap::connect_attrs) {
      EXPECT_EQ(b.attributes, a.attributes);
    }
    bytes again;
    encode_change_user(again, caps, b);
    EXPECT_EQ(again, out);
  }
}

TEST(change_user, every_truncation_of_the_full_packet) {
  for (std::size_t n = 0; n <= sizeof kFull; ++n) {
    change_user_request r;
    // Exactly sized heap copy, so that a read past the end would be seen by ASan.
    const bytes copy(kFull, kFull + n);
    const bool ok = decode_change_user(copy, kFullCaps, r);
    EXPECT_EQ(ok, kFullEnds.contains(n)) << "length " << n;
  }
}

TEST(change_user, every_truncation_of_the_captured_packet) {
  std::size_t accepted = 0;
  for (std::size_t n = 0; n <= sizeof kMysql2ChangeUser; ++n) {
    change_user_request r;
    const bytes copy(kMysql2ChangeUser, kMysql2ChangeUser + n);
    if (decode_change_user(copy, kMysql2Caps, r)) ++accepted;
  }
  // After the auth response, the database, the collation, the plugin name, and all of it.
  EXPECT_EQ(accepted, 5u);
}

TEST(change_user, malformed_packets_are_refused) {
  change_user_request r;
  EXPECT_FALSE(decode_change_user({}, kFullCaps, r));
  // Another command.
  bytes other(std::begin(kShort), std::end(kShort));
  other[0] = 0x03;
  EXPECT_FALSE(decode_change_user(other, kFullCaps, r));
  // Auth response longer than the packet.
  bytes long_auth(std::begin(kShort), std::end(kShort));
  long_auth[5] = 0x20;
  EXPECT_FALSE(decode_change_user(long_auth, kFullCaps, r));
  // One byte after the database: half a collation.
  bytes half(std::begin(kShort), std::end(kShort));
  half.push_back(0x2d);
  EXPECT_FALSE(decode_change_user(half, kFullCaps, r));
  // Plugin name without its NUL.
  bytes no_nul(kFull, kFull + 37);
  EXPECT_FALSE(decode_change_user(no_nul, kFullCaps, r));
}

TEST(change_user, attribute_overruns_are_refused) {
  const std::size_t attrs_at = 38;  // the attributes' total length byte in kFull
  auto with = [&](std::size_t at, std::uint8_t value) {
    bytes b(std::begin(kFull), std::end(kFull));
    b[at] = value;
    return b;
  };
  change_user_request r;
  // The total says more than there is.
  EXPECT_FALSE(decode_change_user(with(attrs_at, 0x0e), kFullCaps, r));
  EXPECT_FALSE(decode_change_user(with(attrs_at, 0xfa), kFullCaps, r));
  // A total of 0xfb (NULL) or 0xff is no length.
  EXPECT_FALSE(decode_change_user(with(attrs_at, 0xfb), kFullCaps, r));
  EXPECT_FALSE(decode_change_user(with(attrs_at, 0xff), kFullCaps, r));
  // 0xfc with its two bytes missing.
  bytes cut(kFull, kFull + attrs_at);
  cut.push_back(0xfc);
  cut.push_back(0x01);
  EXPECT_FALSE(decode_change_user(cut, kFullCaps, r));
  // The total cuts the last value short: a key without its value.
  EXPECT_FALSE(decode_change_user(with(attrs_at, 0x0c), kFullCaps, r));
  // A key or value longer than the attribute block (though not than the packet).
  bytes longer_key = with(attrs_at + 1, 0x0c);
  longer_key.push_back(0x00);
  EXPECT_FALSE(decode_change_user(longer_key, kFullCaps, r));
  EXPECT_FALSE(decode_change_user(with(attrs_at + 5, 0x06), kFullCaps, r));
  // Ending the block inside a pair (the key alone).
  EXPECT_FALSE(decode_change_user(with(attrs_at, 0x04), kFullCaps, r));
  // Shorter totals that still end on a pair boundary are fine: the rest is not attributes.
  ASSERT_TRUE(decode_change_user(with(attrs_at, 0x0a), kFullCaps, r));
  EXPECT_EQ(r.attributes.size(), 1u);
  ASSERT_TRUE(decode_change_user(with(attrs_at, 0x00), kFullCaps, r));
  EXPECT_TRUE(r.attributes.empty());
}

TEST(change_user, every_single_byte_change_of_the_full_packet_is_safe) {
  // Not a check of outcomes (many changes stay valid), only that no change reads out of
  // bounds (run under ASan) and that accepted packets re-encode and decode to the same.
  for (std::size_t i = 0; i < sizeof kFull; ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff}) {
      bytes b(std::begin(kFull), std::end(kFull));
      b[i] = static_cast<std::uint8_t>(v);
      change_user_request r;
      if (!decode_change_user(span_of(b.data(), b.size()), kFullCaps, r)) continue;
      bytes out;
      encode_change_user(out, kFullCaps, r);
      change_user_request again;
      ASSERT_TRUE(decode_change_user(out, kFullCaps, again)) << i << " " << v;
      EXPECT_EQ(again.username, r.username);
      EXPECT_EQ(again.auth_response, r.auth_response);
      EXPECT_EQ(again.attributes, r.attributes);
    }
  }
}

}  // namespace
}  // namespace shardgate::protocol
