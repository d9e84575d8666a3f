// Follows one command's response from a backend, packet by packet, and says how each
// packet must reach the client: unchanged, dropped, replaced, or followed by a
// synthesized EOF. It bridges backends and clients that negotiated different
// CLIENT_DEPRECATE_EOF / CLIENT_SESSION_TRACK capabilities, detects where the
// response ends (multi-results included), and reports the final server status.
// Pure state machine: no I/O; the caller moves the bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/bytes.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/session_state.hpp"

namespace shardgate::protocol {

enum class response_kind : std::uint8_t {
  query,       // COM_QUERY: OK | ERR | resultset, repeated while MORE_RESULTS_EXIST
  field_list,  // COM_FIELD_LIST: column definitions then EOF | ERR
  single_ok,   // COM_INIT_DB, COM_RESET_CONNECTION, COM_SET_OPTION, ...: OK/EOF | ERR
  raw_single,  // COM_STATISTICS: one packet, passed through
  // COM_STMT_EXECUTE: as query; a result whose column definitions end in an EOF with
  // SERVER_STATUS_CURSOR_EXISTS is complete there (the rows come by COM_STMT_FETCH).
  execute,
  fetch,  // COM_STMT_FETCH: binary rows, then EOF (or OK 0xfe) | ERR
};

enum class packet_action : std::uint8_t {
  forward,           // send the backend packet unchanged (with the client's sequence id)
  forward_then_eof,  // forward it, then send `replacement` as an extra packet
  drop,              // do not send it
  replace,           // send `replacement` instead
};

struct packet_verdict {
  packet_action action = packet_action::forward;
  bool done = false;            // the response is complete after this packet
  bool protocol_error = false;  // the backend sent something this state cannot accept
};

class response_translator {
 public:
  // `status` is the connection's last known server status (for synthesized EOFs).
  void start(response_kind kind, std::uint32_t backend_caps, std::uint32_t client_caps,
             std::uint16_t status, session_state_visitor* visitor = nullptr) noexcept;

  // Must the whole payload be available before on_packet() for this packet?
  // (Only small packets - OK/EOF/ERR/column counts - ever need it.)
  bool needs_payload(std::uint8_t first_byte, std::size_t payload_size) const noexcept;

  // Call once per logical packet. `payload` is the whole payload when needs_payload()
  // said so, otherwise at least its first byte (when non-empty). `replacement` is
  // cleared and filled for replace / forward_then_eof.
  packet_verdict on_packet(std::uint8_t first_byte, std::size_t payload_size, byte_span payload,
                           bytes& replacement);

  bool done() const noexcept { return state_ == state::done; }
  // True while no packet of the current result has been forwarded beyond complete
  // packets at a result boundary (an ERR can still be injected cleanly).
  bool at_result_boundary() const noexcept { return state_ == state::start; }
  bool in_rows() const noexcept { return state_ == state::rows; }
  std::uint16_t status() const noexcept { return status_; }
  std::uint64_t last_insert_id() const noexcept { return last_insert_id_; }
  std::uint64_t affected_rows() const noexcept { return affected_rows_; }
  bool saw_error() const noexcept { return error_code_ != 0; }
  std::uint16_t error_code() const noexcept { return error_code_; }

 private:
  enum class state : std::uint8_t { start, columns, columns_eof, rows, field_list, done };

  packet_verdict on_ok_like(byte_span payload, bool terminator, bytes& replacement);
  packet_verdict on_error(byte_span payload);
  packet_verdict finish_result(packet_verdict v);

  state state_ = state::done;
  response_kind kind_ = response_kind::query;
  std::uint32_t backend_caps_ = 0;
  std::uint32_t client_caps_ = 0;
  std::uint64_t columns_left_ = 0;
  std::uint16_t status_ = 0;
  std::uint64_t last_insert_id_ = 0;
  std::uint64_t affected_rows_ = 0;
  std::uint16_t error_code_ = 0;
  session_state_visitor* visitor_ = nullptr;
};

}  // namespace shardgate::protocol
