// The binary (prepared-statement) protocol's requests: COM_STMT_PREPARE's first reply
// packet, COM_STMT_EXECUTE with its bound parameters, COM_STMT_SEND_LONG_DATA, and how a
// bound value reads as an SQL literal (so a statement can be routed by its parameter
// values, or run as text on several shards). Pure: no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

// The first packet of a COM_STMT_PREPARE reply (status 0x00).
struct prepare_ok {
  std::uint32_t statement_id = 0;
  std::uint16_t columns = 0;
  std::uint16_t params = 0;
  std::uint16_t warnings = 0;
};
[[nodiscard]] bool decode_prepare_ok(byte_span payload, prepare_ok& out);
void encode_prepare_ok(bytes& out, const prepare_ok& ok);

// COM_STMT_EXECUTE / SEND_LONG_DATA / CLOSE / RESET / FETCH all carry the statement id in
// bytes 1..4 (after the command byte). 0 when the payload is too short.
std::uint32_t command_statement_id(byte_span payload) noexcept;

// MariaDB: statement id -1 executes the statement prepared last on the connection.
inline constexpr std::uint32_t last_prepared_statement = 0xffffffffu;

// COM_STMT_EXECUTE cursor flags (the low three bits of `flags`).
inline constexpr std::uint8_t cursor_flags = 0x07;

// The second byte of a parameter type.
inline constexpr std::uint8_t param_unsigned = 0x80;

struct execute_request {
  std::uint32_t statement_id = 0;
  std::uint8_t flags = 0;
  std::uint32_t iterations = 1;
  byte_span null_bitmap;
  bool new_params_bound = false;
  byte_span types;   // 2 bytes per parameter when new_params_bound
  byte_span values;  // the rest of the packet
};
// `params`: the statement's parameter count (the request's layout depends on it).
[[nodiscard]] bool decode_execute(byte_span payload, std::uint16_t params, execute_request& out);

// One bound parameter: its type (type byte, flag byte) and its value's bytes as sent.
struct bound_param {
  bool is_null = false;
  bool long_data = false;  // the value came in COM_STMT_SEND_LONG_DATA (`value` is it)
  std::uint8_t type = 0;
  std::uint8_t type_flags = 0;
  byte_span value;  // binary encoding, length prefix stripped for strings and temporals
};

// Splits the values of `req` using `types` (2 bytes per parameter; the request's own or
// the ones bound earlier). Parameters marked in `long_data` take their value from there
// instead of the packet. False: malformed (a value overruns the packet, an unknown type).
[[nodiscard]] bool split_params(const execute_request& req, byte_span types,
                                std::span<const std::string* const> long_data,
                                std::vector<bound_param>& out);

// Appends `p` as an SQL literal: numbers as numbers, text as a quoted string (escaped as
// the session reads strings), BLOB types as X'..', temporals as quoted strings, NULL.
// False when the value has no literal form (NaN / infinity) or is malformed.
[[nodiscard]] bool append_literal(std::string& sql, const bound_param& p,
                                  bool no_backslash_escapes);

// A COM_STMT_EXECUTE for `statement_id` that always carries the parameter types (a
// backend connection may never have seen them); the cursor flags are kept or cleared.
void encode_execute(bytes& out, std::uint32_t statement_id, const execute_request& req,
                    byte_span types, std::uint16_t params, bool keep_cursor);

// COM_STMT_SEND_LONG_DATA: statement id, parameter number, data.
struct long_data_request {
  std::uint32_t statement_id = 0;
  std::uint16_t param = 0;
  byte_span data;
};
[[nodiscard]] bool decode_long_data(byte_span payload, long_data_request& out);
void encode_long_data(bytes& out, std::uint32_t statement_id, std::uint16_t param,
                      std::string_view data);

// COM_STMT_PREPARE / COM_STMT_CLOSE with a statement id or text.
void encode_statement_command(bytes& out, std::uint8_t command, std::uint32_t statement_id);

}  // namespace shardgate::protocol
