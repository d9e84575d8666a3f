// The client side of MySQL authentication as ShardGate logs in to a backend: the first
// response for the plugin the server's greeting names, then what an AuthSwitchRequest
// (0xFE) or caching_sha2_password's AuthMoreData (0x01: fast auth success, perform full
// authentication, the server's RSA public key) asks for. Pure: the login loop does the I/O.
#pragma once

#include <string>
#include <string_view>

#include "protocol/bytes.hpp"

namespace shardgate::backend {

class auth_exchange {
 public:
  // `nonce`: the greeting's 20-byte scramble; `server_plugin`: the greeting's plugin name
  // (anything but caching_sha2_password starts with mysql_native_password).
  auth_exchange(std::string_view password, std::string nonce, std::string_view server_plugin);

  const std::string& plugin() const noexcept { return plugin_; }
  std::string first_response() const;

  enum class outcome {
    reply,  // send `answer` (next sequence id)
    wait,   // read the next packet (fast auth succeeded: an OK follows)
    failed  // see problem()
  };
  // `packet` is a login reply that is neither OK nor ERR; `secure` says whether the
  // connection runs over TLS (the full authentication then sends the clear password).
  outcome next(protocol::byte_span packet, bool secure, std::string& answer);
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::string password_;
  std::string nonce_;
  std::string plugin_;
  std::string problem_;
  bool asked_for_key_ = false;
};

}  // namespace shardgate::backend
