// The backend login's client-side authentication steps (backend/auth_exchange.*): first
// responses, AuthSwitchRequest (0xFE) to either plugin, and caching_sha2_password's
// AuthMoreData (fast auth success, full authentication over TLS or with the RSA key).
#include "backend/auth_exchange.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"
#include "protocol/caching_sha2.hpp"
#include "protocol/handshake.hpp"
#include "protocol/native_password.hpp"

namespace shardgate::backend {
namespace {

using namespace protocol;
using outcome = auth_exchange::outcome;

constexpr std::string_view kGreetingNonce = "0123456789abcdefghij";
constexpr std::string_view kSwitchNonce = "ABCDEFGHIJKLMNOPQRST";
constexpr std::string_view kPassword = "s3cret";

// An AuthSwitchRequest as MySQL sends it: 0xFE, plugin NUL, 20-byte nonce NUL.
bytes auth_switch(std::string_view plugin, std::string_view nonce) {
  bytes out;
  encode_auth_switch_request(out, auth_switch_request{std::string(plugin), std::string(nonce)});
  return out;
}

bytes more_data(std::string_view body) {
  bytes out{auth_more_data_header};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

const bytes kFastAuthSuccess = {auth_more_data_header, caching_sha2_fast_auth_success};
const bytes kFullAuth = {auth_more_data_header, caching_sha2_perform_full_authentication};

const rsa_key& server_key() {
  static const std::shared_ptr<const rsa_key> key = [] {
    std::string error;
    auto k = rsa_key::generate(error);
    EXPECT_TRUE(k) << error;
    return k;
  }();
  return *key;
}

TEST(AuthExchange, FirstResponseForEachGreetingPlugin) {
  {
    auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
    EXPECT_EQ(ex.plugin(), "caching_sha2_password");
    EXPECT_EQ(ex.first_response(), caching_sha2_response(kPassword, kGreetingNonce));
    EXPECT_EQ(ex.first_response().size(), 32u);
  }
  {
    auth_exchange ex(kPassword, std::string(kGreetingNonce), "mysql_native_password");
    EXPECT_EQ(ex.plugin(), "mysql_native_password");
    EXPECT_EQ(ex.first_response(), native_password_response(kPassword, kGreetingNonce));
    EXPECT_EQ(ex.first_response().size(), 20u);
  }
  // Anything else starts with mysql_native_password (an AuthSwitch may follow).
  for (std::string_view other : {"", "sha256_password", "client_ed25519", "mysql_clear_password"}) {
    auth_exchange ex(kPassword, std::string(kGreetingNonce), other);
    EXPECT_EQ(ex.plugin(), "mysql_native_password") << other;
    EXPECT_EQ(ex.first_response(), native_password_response(kPassword, kGreetingNonce)) << other;
  }
  // The empty password answers nothing with either plugin.
  EXPECT_EQ(
      auth_exchange("", std::string(kGreetingNonce), "caching_sha2_password").first_response(), "");
  EXPECT_EQ(
      auth_exchange("", std::string(kGreetingNonce), "mysql_native_password").first_response(), "");
}

TEST(AuthExchange, SwitchToNativePassword) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
  std::string answer = "stale";
  ASSERT_EQ(ex.next(auth_switch("mysql_native_password", kSwitchNonce), false, answer),
            outcome::reply);
  EXPECT_EQ(ex.plugin(), "mysql_native_password");
  EXPECT_EQ(answer, native_password_response(kPassword, kSwitchNonce));
  // A caching_sha2 status is unexpected now.
  EXPECT_EQ(ex.next(kFastAuthSuccess, false, answer), outcome::failed);
  EXPECT_FALSE(ex.problem().empty());
}

TEST(AuthExchange, SwitchToCachingSha2ThenFastAuth) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "mysql_native_password");
  std::string answer;
  ASSERT_EQ(ex.next(auth_switch("caching_sha2_password", kSwitchNonce), false, answer),
            outcome::reply);
  EXPECT_EQ(ex.plugin(), "caching_sha2_password");
  EXPECT_EQ(answer, caching_sha2_response(kPassword, kSwitchNonce));
  answer = "stale";
  EXPECT_EQ(ex.next(kFastAuthSuccess, false, answer), outcome::wait);
  EXPECT_EQ(answer, "");
}

TEST(AuthExchange, SwitchNonceWithoutTrailingNulAndOverlong) {
  // Some servers omit the NUL; a longer plugin data is cut to the 20-byte scramble.
  bytes p = {0xfe};
  for (char c : std::string_view("mysql_native_password"))
    p.push_back(static_cast<std::uint8_t>(c));
  p.push_back(0);
  for (char c : kSwitchNonce) p.push_back(static_cast<std::uint8_t>(c));
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "mysql_native_password");
  std::string answer;
  ASSERT_EQ(ex.next(p, false, answer), outcome::reply);
  EXPECT_EQ(answer, native_password_response(kPassword, kSwitchNonce));
  ASSERT_EQ(ex.next(auth_switch("caching_sha2_password", std::string(kSwitchNonce) + "extra"),
                    false, answer),
            outcome::reply);
  EXPECT_EQ(answer, caching_sha2_response(kPassword, kSwitchNonce));
}

TEST(AuthExchange, UnknownPluginFails) {
  for (std::string_view plugin :
       {"sha256_password", "mysql_clear_password", "auth_gssapi_client"}) {
    auth_exchange ex(kPassword, std::string(kGreetingNonce), "mysql_native_password");
    std::string answer;
    EXPECT_EQ(ex.next(auth_switch(plugin, kSwitchNonce), false, answer), outcome::failed);
    EXPECT_NE(ex.problem().find(std::string(plugin)), std::string::npos) << ex.problem();
    EXPECT_EQ(answer, "");
  }
}

TEST(AuthExchange, MalformedAndUnexpectedReplies) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
  std::string answer;
  EXPECT_EQ(ex.next(bytes{}, false, answer), outcome::failed);
  EXPECT_FALSE(ex.problem().empty());
  // 0xFE without a NUL-terminated plugin name.
  EXPECT_EQ(ex.next(bytes{0xfe, 'm', 'y'}, false, answer), outcome::failed);
  EXPECT_NE(ex.problem().find("auth switch"), std::string::npos) << ex.problem();
  // Unknown AuthMoreData statuses and lengths.
  EXPECT_EQ(ex.next(bytes{0x01, 0x05}, false, answer), outcome::failed);
  EXPECT_EQ(ex.next(bytes{0x01}, false, answer), outcome::failed);
  EXPECT_EQ(ex.next(bytes{0x01, 0x03, 0x00}, false, answer), outcome::failed);
  EXPECT_EQ(ex.next(bytes{0x02, 0x03}, false, answer), outcome::failed);
  EXPECT_NE(ex.problem().find("first byte 2"), std::string::npos) << ex.problem();
}

TEST(AuthExchange, FullAuthenticationOverTlsSendsClearPassword) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
  std::string answer;
  ASSERT_EQ(ex.next(kFullAuth, true, answer), outcome::reply);
  EXPECT_EQ(answer, std::string(kPassword) + '\0');
}

TEST(AuthExchange, FullAuthenticationOverPlainTcpUsesRsa) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
  std::string answer;
  ASSERT_EQ(ex.next(kFullAuth, false, answer), outcome::reply);
  EXPECT_EQ(answer, std::string(1, '\x02'));
  ASSERT_EQ(ex.next(more_data(server_key().public_pem()), false, answer), outcome::reply);
  EXPECT_EQ(answer.size(), 256u);
  EXPECT_EQ(caching_sha2_decrypt_password(answer, kGreetingNonce, server_key()),
            std::optional<std::string>(kPassword));
}

TEST(AuthExchange, RsaStepUsesTheSwitchNonce) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "mysql_native_password");
  std::string answer;
  ASSERT_EQ(ex.next(auth_switch("caching_sha2_password", kSwitchNonce), false, answer),
            outcome::reply);
  ASSERT_EQ(ex.next(kFullAuth, false, answer), outcome::reply);
  ASSERT_EQ(answer, std::string(1, '\x02'));
  ASSERT_EQ(ex.next(more_data(server_key().public_pem()), false, answer), outcome::reply);
  EXPECT_EQ(caching_sha2_decrypt_password(answer, kSwitchNonce, server_key()),
            std::optional<std::string>(kPassword));
}

TEST(AuthExchange, SwitchAfterKeyRequestStartsOver) {
  auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
  std::string answer;
  ASSERT_EQ(ex.next(kFullAuth, false, answer), outcome::reply);
  ASSERT_EQ(ex.next(auth_switch("caching_sha2_password", kSwitchNonce), false, answer),
            outcome::reply);
  EXPECT_EQ(answer, caching_sha2_response(kPassword, kSwitchNonce));
  // Not taken for a PEM: the key request was for the earlier exchange.
  EXPECT_EQ(ex.next(kFastAuthSuccess, false, answer), outcome::wait);
}

TEST(AuthExchange, MalformedPemFails) {
  for (std::string_view pem : {std::string_view("not a key"), std::string_view(""),
                               std::string_view("-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                                "-----END PUBLIC KEY-----\n")}) {
    auth_exchange ex(kPassword, std::string(kGreetingNonce), "caching_sha2_password");
    std::string answer;
    ASSERT_EQ(ex.next(kFullAuth, false, answer), outcome::reply);
    EXPECT_EQ(ex.next(more_data(pem), false, answer), outcome::failed) << pem;
    EXPECT_NE(ex.problem().find("RSA public key"), std::string::npos) << ex.problem();
    EXPECT_EQ(answer, "");
  }
}

TEST(AuthExchange, PasswordTooLongForTheKeyFails) {
  // RSA-2048 OAEP/SHA-1 takes 214 bytes; the password + NUL is 215.
  const std::string password(214, 'p');
  auth_exchange ex(password, std::string(kGreetingNonce), "caching_sha2_password");
  std::string answer;
  ASSERT_EQ(ex.next(kFullAuth, false, answer), outcome::reply);
  EXPECT_EQ(ex.next(more_data(server_key().public_pem()), false, answer), outcome::failed);
  EXPECT_NE(ex.problem().find("encrypt"), std::string::npos) << ex.problem();
  EXPECT_EQ(answer, "");
}

}  // namespace
}  // namespace shardgate::backend
