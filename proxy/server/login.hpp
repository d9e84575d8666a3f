// A client's login, before its command loop: the greeting, the TLS upgrade (SSLRequest),
// the HandshakeResponse, authentication with mysql_native_password or caching_sha2_password
// (AuthSwitch to the user's plugin; caching_sha2's fast path, full authentication over
// TLS or RSA), the transport rules (listen.require_secure_transport, users[].require_tls)
// and failed-login throttling; and COM_CHANGE_USER's re-authentication. The command loop
// receives an authenticated identity. A refused login has got its error packet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "net/asio.hpp"
#include "net/read_buffer.hpp"
#include "net/stream.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"

namespace shardgate::server {

class worker;
class generation;

// Who logged in, and what the client asked for at login.
struct login_identity {
  const config::user_config* user = nullptr;  // in the session's configuration
  std::string name;
  std::uint32_t client_caps = 0;  // the client's, intersected with ShardGate's
  std::uint8_t collation = 0;
  std::string database;  // asked for at login / change user (may be empty)
};

// The connection's I/O state the login shares with the session (one buffer, one sequence).
struct login_channel {
  net::stream& stream;
  net::read_buffer& in;
  protocol::bytes& payload;
  std::uint8_t& seq;  // the last packet's sequence id
};

class login {
 public:
  login(worker& owner, const generation& gen, login_channel channel, std::uint32_t connection_id,
        const std::string& peer);

  // The whole login up to (not including) the final OK, which the session sends once it
  // has admitted the user (limits, default schema).
  awaitable<std::optional<login_identity>> run();

  // COM_CHANGE_USER (in channel.payload): authenticates the new user with the scramble of
  // the connection's greeting. Nullopt: refused (1045 sent; the caller closes).
  awaitable<std::optional<login_identity>> change_user(std::uint32_t client_caps);

  // The greeting's scramble (COM_CHANGE_USER responses are computed from it).
  const std::string& scramble() const noexcept { return scramble_; }
  void set_scramble(std::string s) { scramble_ = std::move(s); }

 private:
  // Authenticates `name` whose client answered `response` for `client_plugin`; sends
  // AuthSwitch / AuthMoreData as needed. True: the password is right.
  awaitable<bool> authenticate(const config::user_config* user, const std::string& name,
                               const std::string& client_plugin, std::string response);
  awaitable<bool> caching_sha2(const config::user_config& user, const std::string& response);
  awaitable<std::optional<std::string>> full_authentication();
  awaitable<bool> refuse(const protocol::mysql_error& err);
  awaitable<bool> send(protocol::byte_span payload);
  awaitable<error_code> receive(std::size_t max);
  // The first packet, read to its last byte and no further (plain TCP, before TLS).
  awaitable<error_code> receive_exact(std::size_t max);
  awaitable<bool> upgrade_to_tls();
  void connect_error(const char* what);

  worker& worker_;
  const generation& gen_;
  const config::config& config_;
  login_channel io_;
  std::uint32_t id_;
  const std::string& peer_;
  std::string scramble_;
  std::uint32_t client_caps_ = 0;
  bool switched_ = false;  // the client answered an AuthSwitch (the scramble it got ends in NUL)
  protocol::bytes out_;
  protocol::bytes scratch_;
};

}  // namespace shardgate::server
