#include "protocol/generic_response.hpp"

#include "protocol/constants.hpp"

namespace shardgate::protocol {

bool decode_ok(byte_span payload, std::uint32_t capabilities, ok_packet& out) {
  byte_reader r(payload);
  std::uint8_t header = r.u8();
  if (header != ok_header && header != eof_header) return false;
  out.affected_rows = r.lenenc_int();
  out.last_insert_id = r.lenenc_int();
  out.status = 0;
  out.warnings = 0;
  out.info = {};
  out.session_state = {};
  if (capabilities & cap::protocol_41) {
    out.status = r.u16();
    out.warnings = r.u16();
  } else if (capabilities & cap::transactions) {
    out.status = r.u16();
  }
  if (!r.ok()) return false;
  if (capabilities & cap::session_track) {
    if (!r.at_end()) out.info = r.lenenc_str();
    if ((out.status & status::session_state_changed) && !r.at_end())
      out.session_state = r.lenenc_str();
  } else if (!r.at_end()) {
    // MySQL and MariaDB write the message length-encoded here too (net_send_ok), though
    // the protocol documentation says string<EOF>; accept both.
    byte_reader probe = r;
    std::string_view lenenc = probe.lenenc_str();
    out.info = probe.ok() && probe.at_end() ? lenenc : r.rest();
    return true;
  }
  return r.ok() && r.at_end();
}

bool decode_err(byte_span payload, std::uint32_t capabilities, err_packet& out) {
  byte_reader r(payload);
  if (r.u8() != err_header) return false;
  out.code = r.u16();
  out.sql_state = {};
  if ((capabilities & cap::protocol_41) && r.peek() == '#') {
    r.skip(1);
    out.sql_state = r.take(5);
  }
  out.message = r.rest();
  return r.ok();
}

bool decode_eof(byte_span payload, eof_packet& out) {
  byte_reader r(payload);
  if (r.u8() != eof_header) return false;
  if (payload.size() == 1) {  // pre-4.1 EOF
    out = {};
    return true;
  }
  out.warnings = r.u16();
  out.status = r.u16();
  return r.ok() && r.at_end();
}

void encode_ok(bytes& out, const ok_packet& ok, std::uint32_t capabilities, std::uint8_t header) {
  byte_writer w(out);
  w.u8(header);
  w.lenenc_int(ok.affected_rows);
  w.lenenc_int(ok.last_insert_id);
  bool track = (capabilities & cap::session_track) != 0;
  std::uint16_t st = ok.status;
  if (!track) st &= static_cast<std::uint16_t>(~status::session_state_changed);
  if (capabilities & cap::protocol_41) {
    w.u16(st);
    w.u16(ok.warnings);
  } else if (capabilities & cap::transactions) {
    w.u16(st);
  }
  if (track) {
    bool has_state = (st & status::session_state_changed) != 0;
    if (!ok.info.empty() || has_state) w.lenenc_str(ok.info);
    if (has_state) w.lenenc_str(ok.session_state);
  } else if (!ok.info.empty()) {
    w.lenenc_str(ok.info);  // as the servers write it (see decode_ok)
  }
}

void encode_err(bytes& out, const err_packet& err, std::uint32_t capabilities) {
  byte_writer w(out);
  w.u8(err_header);
  w.u16(err.code);
  if ((capabilities & cap::protocol_41) && err.sql_state.size() == 5) {
    w.u8('#');
    w.raw(err.sql_state);
  }
  w.raw(err.message);
}

void encode_eof(bytes& out, const eof_packet& eof) {
  byte_writer w(out);
  w.u8(eof_header);
  w.u16(eof.warnings);
  w.u16(eof.status);
}

}  // namespace shardgate::protocol

#include "protocol/errors.hpp"

namespace shardgate::protocol {

void encode_error(bytes& out, const mysql_error& e, std::uint32_t capabilities) {
  encode_err(out, err_packet{e.code, e.sql_state, e.message}, capabilities);
}

}  // namespace shardgate::protocol
