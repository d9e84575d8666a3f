// OK, ERR and EOF packets (the generic responses), encode and decode side by side.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

struct ok_packet {
  std::uint64_t affected_rows = 0;
  std::uint64_t last_insert_id = 0;
  std::uint16_t status = 0;
  std::uint16_t warnings = 0;
  std::string_view info;           // human-readable message (may be empty)
  std::string_view session_state;  // raw session-state-change block (CLIENT_SESSION_TRACK)
};

struct err_packet {
  std::uint16_t code = 0;
  std::string_view sql_state;  // 5 characters, or empty before the handshake
  std::string_view message;
};

struct eof_packet {
  std::uint16_t warnings = 0;
  std::uint16_t status = 0;
};

// Decoders take the whole payload, header byte included; string views point into it.
// `capabilities` are the negotiated flags of the connection the packet travels on.
[[nodiscard]] bool decode_ok(byte_span payload, std::uint32_t capabilities, ok_packet& out);
[[nodiscard]] bool decode_err(byte_span payload, std::uint32_t capabilities, err_packet& out);
[[nodiscard]] bool decode_eof(byte_span payload, eof_packet& out);

// `header` is 0x00 for a plain OK, 0xfe for the OK that ends a resultset under
// CLIENT_DEPRECATE_EOF. Session state is written only if the capabilities have
// CLIENT_SESSION_TRACK and the status has SERVER_SESSION_STATE_CHANGED (otherwise that
// status bit is cleared).
void encode_ok(bytes& out, const ok_packet& ok, std::uint32_t capabilities,
               std::uint8_t header = 0x00);
void encode_err(bytes& out, const err_packet& err, std::uint32_t capabilities);
void encode_eof(bytes& out, const eof_packet& eof);

// True if a payload starting with 0xfe and this long is an EOF/OK terminator
// rather than a row whose first cell is a length-encoded string >= 16 MiB.
inline bool is_terminator(std::uint8_t first, std::size_t payload_size) noexcept {
  return first == 0xfe && payload_size < 0xffffff;
}

}  // namespace shardgate::protocol
