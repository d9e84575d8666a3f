// COM_CHANGE_USER: the client logs in again as another (or the same) user on the same
// connection. Layout (protocol 4.1, CLIENT_SECURE_CONNECTION):
//   0x11, user NUL, auth-response length (1 byte) + bytes, database NUL,
//   [collation (2 bytes LE)], [auth plugin name NUL if CLIENT_PLUGIN_AUTH],
//   [connection attributes (lenenc length + pairs) if CLIENT_CONNECT_ATTRS].
// The trailing parts are optional on the wire (older clients stop after the database).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

struct change_user_request {
  std::string username;
  std::string auth_response;
  std::string database;
  std::uint16_t collation = 0;   // 0: not sent
  std::string auth_plugin_name;  // empty: not sent
  std::vector<std::pair<std::string, std::string>> attributes;
};

// `payload` starts with the command byte (0x11); `client_caps` are the capabilities the
// client logged in with. False when the packet is malformed.
[[nodiscard]] bool decode_change_user(byte_span payload, std::uint32_t client_caps,
                                      change_user_request& out);
void encode_change_user(bytes& out, std::uint32_t client_caps, const change_user_request& r);

}  // namespace shardgate::protocol
