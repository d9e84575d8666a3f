#include "backend/auth_exchange.hpp"

#include "protocol/caching_sha2.hpp"
#include "protocol/handshake.hpp"
#include "protocol/native_password.hpp"

namespace shardgate::backend {

using namespace protocol;

auth_exchange::auth_exchange(std::string_view password, std::string nonce,
                             std::string_view server_plugin)
    : password_(password),
      nonce_(std::move(nonce)),
      plugin_(server_plugin == caching_sha2_plugin ? caching_sha2_plugin : native_password_plugin) {
}

std::string auth_exchange::first_response() const {
  if (plugin_ == caching_sha2_plugin) return caching_sha2_response(password_, nonce_);
  return native_password_response(password_, nonce_);
}

auth_exchange::outcome auth_exchange::next(byte_span packet, bool secure, std::string& answer) {
  answer.clear();
  if (packet.empty()) {
    problem_ = "empty login reply";
    return outcome::failed;
  }
  if (packet[0] == 0xfe) {
    auth_switch_request sw;
    if (!decode_auth_switch_request(packet, sw)) {
      problem_ = "malformed auth switch request";
      return outcome::failed;
    }
    nonce_ = sw.plugin_data.substr(0, scramble_size);
    asked_for_key_ = false;
    if (sw.plugin_name == native_password_plugin) {
      plugin_ = native_password_plugin;
    } else if (sw.plugin_name == caching_sha2_plugin) {
      plugin_ = caching_sha2_plugin;
    } else {
      problem_ = "server asks for auth plugin '" + sw.plugin_name +
                 "'; ShardGate logs in with mysql_native_password or caching_sha2_password";
      return outcome::failed;
    }
    answer = first_response();
    return outcome::reply;
  }
  if (packet[0] == auth_more_data_header && plugin_ == caching_sha2_plugin) {
    if (asked_for_key_) {
      // The server's RSA public key (PEM) for the password's encryption.
      const std::string_view pem(reinterpret_cast<const char*>(packet.data()) + 1,
                                 packet.size() - 1);
      std::string error;
      auto key = rsa_key::from_public_pem(pem, error);
      if (!key) {
        problem_ = "the server's RSA public key does not load: " + error;
        return outcome::failed;
      }
      answer = caching_sha2_encrypt_password(password_, nonce_, *key);
      if (answer.empty()) {
        problem_ = "cannot encrypt the password with the server's RSA key";
        return outcome::failed;
      }
      return outcome::reply;
    }
    if (packet.size() == 2 && packet[1] == caching_sha2_fast_auth_success) return outcome::wait;
    if (packet.size() == 2 && packet[1] == caching_sha2_perform_full_authentication) {
      if (secure) {
        // Over TLS the clear password (NUL-terminated) is safe to send.
        answer = password_;
        answer.push_back('\0');
      } else {
        answer.assign(1, static_cast<char>(caching_sha2_request_public_key));
        asked_for_key_ = true;
      }
      return outcome::reply;
    }
  }
  problem_ = "unexpected login reply (first byte " + std::to_string(packet[0]) + ")";
  return outcome::failed;
}

}  // namespace shardgate::backend
