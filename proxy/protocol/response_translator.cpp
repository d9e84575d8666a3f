#include "protocol/response_translator.hpp"

#include "protocol/constants.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::protocol {

namespace {
bool has(std::uint32_t caps, std::uint32_t flag) {
  return (caps & flag) != 0;
}
}  // namespace

void response_translator::start(response_kind kind, std::uint32_t backend_caps,
                                std::uint32_t client_caps, std::uint16_t status,
                                session_state_visitor* visitor) noexcept {
  kind_ = kind;
  // Only flags describing the connection's state carry over into a synthesized EOF.
  status &=
      static_cast<std::uint16_t>(~(status::session_state_changed | status::more_results_exist |
                                   status::cursor_exists | status::last_row_sent));
  backend_caps_ = backend_caps;
  client_caps_ = client_caps;
  status_ = status;
  last_insert_id_ = 0;
  affected_rows_ = 0;
  error_code_ = 0;
  columns_left_ = 0;
  visitor_ = visitor;
  state_ = kind == response_kind::field_list ? state::field_list
           : kind == response_kind::fetch    ? state::rows
                                             : state::start;
}

bool response_translator::needs_payload(std::uint8_t first, std::size_t size) const noexcept {
  switch (state_) {
    case state::start:
      return kind_ != response_kind::raw_single;
    case state::columns:
      return first == err_header;
    case state::columns_eof:
      return first == err_header || first == eof_header;
    case state::rows:
    case state::field_list:
      return first == err_header || is_terminator(first, size);
    case state::done:
      return false;
  }
  return false;
}

packet_verdict response_translator::on_packet(std::uint8_t first, std::size_t size,
                                              byte_span payload, bytes& replacement) {
  replacement.clear();
  switch (state_) {
    case state::start: {
      if (kind_ == response_kind::raw_single) {
        state_ = state::done;
        return {packet_action::forward, true, false};
      }
      if (size == 0) return {packet_action::forward, false, true};
      if (first == err_header) return on_error(payload);
      if (first == ok_header) return on_ok_like(payload, false, replacement);
      if (first == eof_header && kind_ == response_kind::single_ok)
        return on_ok_like(payload, true, replacement);
      if ((kind_ != response_kind::query && kind_ != response_kind::execute) ||
          first == local_infile_header)
        return {packet_action::forward, false, true};
      std::uint64_t count = 0;
      if (!decode_column_count(payload, count)) return {packet_action::forward, false, true};
      columns_left_ = count;
      state_ = state::columns;
      return {};
    }
    case state::columns: {
      if (first == err_header) return on_error(payload);
      if (--columns_left_ > 0) return {};
      if (has(backend_caps_, cap::deprecate_eof)) {
        state_ = state::rows;
        if (has(client_caps_, cap::deprecate_eof)) return {};
        encode_eof(replacement, {0, status_});
        return {packet_action::forward_then_eof, false, false};
      }
      state_ = state::columns_eof;
      return {};
    }
    case state::columns_eof: {
      if (first == err_header) return on_error(payload);
      if (first != eof_header) return {packet_action::forward, false, true};
      if (kind_ == response_kind::execute) {
        // A cursor was opened: the response ends here (clients and backends share the
        // EOF convention for executions, see client_session::run_prepared).
        eof_packet eof;
        if (decode_eof(payload, eof) && (eof.status & status::cursor_exists))
          return on_ok_like(payload, true, replacement);
      }
      state_ = state::rows;
      return {has(client_caps_, cap::deprecate_eof) ? packet_action::drop : packet_action::forward,
              false, false};
    }
    case state::rows:
    case state::field_list: {
      if (first == err_header) return on_error(payload);
      if (is_terminator(first, size)) return on_ok_like(payload, true, replacement);
      return {};
    }
    case state::done:
      return {packet_action::forward, false, true};
  }
  return {packet_action::forward, false, true};
}

packet_verdict response_translator::on_error(byte_span payload) {
  err_packet err;
  error_code_ = decode_err(payload, backend_caps_, err) ? err.code : 0xffff;
  state_ = state::done;
  return {packet_action::forward, true, false};
}

// An OK (0x00), or a terminator (0xfe): the EOF ending column definitions / rows, or under
// CLIENT_DEPRECATE_EOF the OK that replaces it.
packet_verdict response_translator::on_ok_like(byte_span payload, bool terminator,
                                               bytes& replacement) {
  const bool backend_ok_format = !terminator || has(backend_caps_, cap::deprecate_eof) ||
                                 payload.size() > 5;  // an EOF is at most 5 bytes
  ok_packet ok;
  if (backend_ok_format) {
    if (!decode_ok(payload, backend_caps_, ok)) return {packet_action::forward, false, true};
  } else {
    eof_packet eof;
    if (!decode_eof(payload, eof)) return {packet_action::forward, false, true};
    ok.status = eof.status;
    ok.warnings = eof.warnings;
  }
  status_ = ok.status;
  if (ok.last_insert_id) last_insert_id_ = ok.last_insert_id;
  affected_rows_ += ok.affected_rows;
  if (visitor_ && !ok.session_state.empty()) {
    if (!parse_session_state(as_bytes(ok.session_state), *visitor_))
      return {packet_action::forward, false, true};
  }

  packet_verdict v;
  const bool client_wants_ok =
      !terminator || has(client_caps_, cap::deprecate_eof) || kind_ == response_kind::single_ok;
  const bool same_track =
      has(client_caps_, cap::session_track) == has(backend_caps_, cap::session_track);
  if (client_wants_ok) {
    const std::uint8_t header = terminator ? eof_header : ok_header;
    if (backend_ok_format && same_track) {  // a terminator here always starts with 0xfe
      v.action = packet_action::forward;
    } else if (terminator && kind_ == response_kind::single_ok && !backend_ok_format) {
      v.action = packet_action::forward;  // an EOF answer to e.g. COM_SET_OPTION
    } else {
      encode_ok(replacement, ok, client_caps_, header);
      v.action = packet_action::replace;
    }
  } else if (backend_ok_format) {
    encode_eof(replacement, {ok.warnings, ok.status});
    v.action = packet_action::replace;
  } else {
    v.action = packet_action::forward;
  }
  return finish_result(v);
}

packet_verdict response_translator::finish_result(packet_verdict v) {
  if ((kind_ == response_kind::query || kind_ == response_kind::execute) &&
      (status_ & status::more_results_exist)) {
    state_ = state::start;
  } else {
    state_ = state::done;
    v.done = true;
  }
  return v;
}

}  // namespace shardgate::protocol
