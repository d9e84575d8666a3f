// Connection phase messages: the server greeting (protocol 10), the client's
// HandshakeResponse41, and AuthSwitchRequest / AuthSwitchResponse.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

inline constexpr std::size_t scramble_size = 20;
inline constexpr std::string_view native_password_plugin = "mysql_native_password";

struct handshake_v10 {
  std::string server_version;
  std::uint32_t connection_id = 0;
  std::string auth_plugin_data;  // the scramble (20 bytes for mysql_native_password)
  std::uint32_t capabilities = 0;
  std::uint8_t collation = 0;
  std::uint16_t status = 0;
  std::string auth_plugin_name;
  std::uint32_t mariadb_capabilities = 0;  // extended flags when CLIENT_MYSQL is not set
};

[[nodiscard]] bool decode_handshake_v10(byte_span payload, handshake_v10& out);
void encode_handshake_v10(bytes& out, const handshake_v10& hs);

struct handshake_response {
  std::uint32_t capabilities = 0;
  std::uint32_t max_packet_size = 0;
  std::uint8_t collation = 0;
  std::string username;
  std::string auth_response;
  std::string database;          // empty unless CLIENT_CONNECT_WITH_DB
  std::string auth_plugin_name;  // empty unless CLIENT_PLUGIN_AUTH
  std::vector<std::pair<std::string, std::string>> attributes;
};

// A 32-byte HandshakeResponse with CLIENT_SSL and nothing after the filler is an
// SSLRequest: the client wants to start TLS.
[[nodiscard]] bool is_ssl_request(byte_span payload) noexcept;
// The SSLRequest a client sends before its TLS handshake (`capabilities` has CLIENT_SSL).
void encode_ssl_request(bytes& out, std::uint32_t capabilities, std::uint32_t max_packet_size,
                        std::uint8_t collation);
[[nodiscard]] bool decode_handshake_response(byte_span payload, handshake_response& out);
void encode_handshake_response(bytes& out, const handshake_response& r);

struct auth_switch_request {
  std::string plugin_name;
  std::string plugin_data;  // without the trailing NUL
};

[[nodiscard]] bool decode_auth_switch_request(byte_span payload, auth_switch_request& out);
void encode_auth_switch_request(bytes& out, const auth_switch_request& r);

}  // namespace shardgate::protocol
