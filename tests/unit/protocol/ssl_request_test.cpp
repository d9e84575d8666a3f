// SSLRequest encoding (protocol/handshake.*: encode_ssl_request, is_ssl_request).
//
// kLibMariaDbSslRequest: what libmariadb 3.3.20 sent (mysql_real_connect with
// MYSQL_OPT_SSL_ENFORCE) to a small Python server on 127.0.0.1 whose HandshakeV10 offered
// CLIENT_SSL (2026-11, Debian 12); the payload, header removed.
#include <gtest/gtest.h>

#include <cstdint>

#include "protocol/bytes.hpp"
#include "protocol/constants.hpp"
#include "protocol/handshake.hpp"

namespace shardgate::protocol {
namespace {

constexpr std::uint8_t kLibMariaDbSslRequest[] = {
    0x8d, 0xaa, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x10, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

TEST(SslRequest, EncodeMatchesLibMariaDb) {
  bytes out;
  // The capabilities without CLIENT_SSL: the encoder adds it.
  encode_ssl_request(out, 0x00beaa8d & ~cap::ssl, 0x10000000, 45);
  EXPECT_EQ(out, bytes(std::begin(kLibMariaDbSslRequest), std::end(kLibMariaDbSslRequest)));
  out.clear();
  encode_ssl_request(out, 0x00beaa8d, 0x10000000, 45);
  EXPECT_EQ(out, bytes(std::begin(kLibMariaDbSslRequest), std::end(kLibMariaDbSslRequest)));
}

TEST(SslRequest, EncodedRequestIsRecognised) {
  bytes out;
  encode_ssl_request(out, cap::protocol_41 | cap::secure_connection, 1u << 24, 255);
  ASSERT_EQ(out.size(), 32u);
  EXPECT_TRUE(is_ssl_request(out));
  byte_reader r(out);
  EXPECT_EQ(r.u32(), cap::protocol_41 | cap::secure_connection | cap::ssl);
  EXPECT_EQ(r.u32(), 1u << 24);
  EXPECT_EQ(r.u8(), 255);
  EXPECT_TRUE(is_ssl_request(kLibMariaDbSslRequest));
}

TEST(SslRequest, OtherPacketsAreNot) {
  bytes p(std::begin(kLibMariaDbSslRequest), std::end(kLibMariaDbSslRequest));
  p[1] &= static_cast<std::uint8_t>(~(cap::ssl >> 8));  // CLIENT_SSL cleared
  EXPECT_FALSE(is_ssl_request(p));
  bytes longer(std::begin(kLibMariaDbSslRequest), std::end(kLibMariaDbSslRequest));
  longer.push_back('a');  // a HandshakeResponse41 goes on with the user name
  EXPECT_FALSE(is_ssl_request(longer));
  EXPECT_FALSE(is_ssl_request(
      bytes(std::begin(kLibMariaDbSslRequest), std::begin(kLibMariaDbSslRequest) + 31)));
  EXPECT_FALSE(is_ssl_request(bytes{}));
}

}  // namespace
}  // namespace shardgate::protocol
