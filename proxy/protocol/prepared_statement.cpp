#include "protocol/prepared_statement.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "protocol/constants.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::protocol {

bool decode_prepare_ok(byte_span payload, prepare_ok& out) {
  byte_reader r(payload);
  if (r.u8() != 0x00) return false;
  out.statement_id = r.u32();
  out.columns = r.u16();
  out.params = r.u16();
  r.skip(1);
  out.warnings = r.remaining() >= 2 ? r.u16() : 0;
  return r.ok();
}

void encode_prepare_ok(bytes& out, const prepare_ok& ok) {
  byte_writer w(out);
  w.u8(0x00);
  w.u32(ok.statement_id);
  w.u16(ok.columns);
  w.u16(ok.params);
  w.u8(0);
  w.u16(ok.warnings);
}

std::uint32_t command_statement_id(byte_span payload) noexcept {
  if (payload.size() < 5) return 0;
  return static_cast<std::uint32_t>(payload[1]) | static_cast<std::uint32_t>(payload[2]) << 8 |
         static_cast<std::uint32_t>(payload[3]) << 16 |
         static_cast<std::uint32_t>(payload[4]) << 24;
}

bool decode_execute(byte_span payload, std::uint16_t params, execute_request& out) {
  byte_reader r(payload);
  if (r.u8() != static_cast<std::uint8_t>(command::stmt_execute)) return false;
  out.statement_id = r.u32();
  out.flags = r.u8();
  out.iterations = r.u32();
  out.null_bitmap = {};
  out.new_params_bound = false;
  out.types = {};
  out.values = {};
  if (!r.ok()) return false;
  if (params > 0) {
    const std::size_t bitmap = (static_cast<std::size_t>(params) + 7) / 8;
    if (r.remaining() < bitmap + 1) return false;
    const std::size_t at = r.position();
    out.null_bitmap = payload.subspan(at, bitmap);
    r.skip(bitmap);
    out.new_params_bound = r.u8() == 1;
    if (out.new_params_bound) {
      const std::size_t n = 2 * static_cast<std::size_t>(params);
      if (r.remaining() < n) return false;
      out.types = payload.subspan(r.position(), n);
      r.skip(n);
    }
  }
  out.values = payload.subspan(r.position());
  return r.ok();
}

namespace {

// Bytes of a fixed-size binary value, 0 for length-prefixed ones, -1 for unknown types.
int fixed_size(std::uint8_t type) {
  switch (static_cast<column_type>(type)) {
    case column_type::null:
      return 0;
    case column_type::tiny:
      return 1;
    case column_type::short_:
    case column_type::year:
      return 2;
    case column_type::long_:
    case column_type::int24:
    case column_type::float_:
      return 4;
    case column_type::longlong:
    case column_type::double_:
      return 8;
    case column_type::date:
    case column_type::datetime:
    case column_type::timestamp:
    case column_type::time:
    case column_type::newdate:
      return -2;  // one length byte, then that many bytes
    case column_type::decimal:
    case column_type::newdecimal:
    case column_type::varchar:
    case column_type::var_string:
    case column_type::string:
    case column_type::enum_:
    case column_type::set:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::bit:
    case column_type::json:
    case column_type::geometry:
      return -3;  // length-encoded string
  }
  return -1;
}

bool is_blob(std::uint8_t type) {
  switch (static_cast<column_type>(type)) {
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::geometry:
      return true;
    default:
      return false;
  }
}

std::uint64_t little_endian(byte_span v) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < v.size() && i < 8; ++i)
    x |= static_cast<std::uint64_t>(v[i]) << (8 * i);
  return x;
}

void append_quoted(std::string& sql, std::string_view s, bool no_backslash_escapes) {
  sql += '\'';
  for (char c : s) {
    if (c == '\'') {
      sql += "''";
    } else if (no_backslash_escapes) {
      sql += c;
    } else if (c == '\\') {
      sql += "\\\\";
    } else if (c == '\0') {
      sql += "\\0";
    } else if (c == '\x1a') {
      sql += "\\Z";
    } else {
      sql += c;
    }
  }
  sql += '\'';
}

// A plain decimal number: [-]digits[.digits][e[+-]digits] (what DECIMAL parameters hold).
bool plain_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  }
  if (!digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool exp = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, exp = true;
    if (!exp) return false;
  }
  return i == s.size();
}

}  // namespace

bool split_params(const execute_request& req, byte_span types,
                  std::span<const std::string* const> long_data, std::vector<bound_param>& out) {
  const std::size_t n = types.size() / 2;
  out.resize(n);
  if (req.null_bitmap.size() < (n + 7) / 8) return false;
  byte_reader r(req.values);
  for (std::size_t i = 0; i < n; ++i) {
    bound_param& p = out[i];
    p.type = types[2 * i];
    p.type_flags = types[2 * i + 1];
    p.long_data = false;
    p.value = {};
    p.is_null = false;
    // As the server reads them: a parameter with long data is never in the packet.
    if (i < long_data.size() && long_data[i]) {
      p.long_data = true;
      p.value = as_bytes(*long_data[i]);
      continue;
    }
    p.is_null = (req.null_bitmap[i / 8] >> (i % 8)) & 1;
    if (p.is_null) continue;
    const int size = fixed_size(p.type);
    if (size == -1) return false;
    if (size >= 0) {
      p.value = as_bytes(r.take(static_cast<std::size_t>(size)));
    } else if (size == -2) {
      const std::uint8_t len = r.u8();
      p.value = as_bytes(r.take(len));
    } else {
      p.value = as_bytes(r.lenenc_str());
    }
    if (!r.ok()) return false;
  }
  return true;
}

bool append_literal(std::string& sql, const bound_param& p, bool no_backslash_escapes) {
  if (p.is_null || static_cast<column_type>(p.type) == column_type::null) {
    sql += "NULL";
    return true;
  }
  const bool is_unsigned = (p.type_flags & param_unsigned) != 0;
  char buf[64];
  auto integer = [&](std::size_t bytes) {
    if (p.value.size() != bytes) return false;
    const std::uint64_t raw = little_endian(p.value);
    if (is_unsigned) {
      std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(raw));
    } else {
      // Sign-extend from `bytes`.
      const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
      const auto v = static_cast<std::int64_t>(raw << shift) >> shift;
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    }
    sql += buf;
    return true;
  };
  switch (static_cast<column_type>(p.type)) {
    case column_type::tiny:
      return integer(1);
    case column_type::short_:
    case column_type::year:
      return integer(2);
    case column_type::long_:
    case column_type::int24:
      return integer(4);
    case column_type::longlong:
      return integer(8);
    case column_type::float_: {
      if (p.value.size() != 4) return false;
      float f;
      std::memcpy(&f, p.value.data(), 4);
      if (!std::isfinite(f)) return false;
      // Exactly the float's value, written as the double it widens to.
      std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(f));
      sql += buf;
      if (!std::strpbrk(buf, "eE")) sql += "e0";  // a DOUBLE literal (not DECIMAL)
      return true;
    }
    case column_type::double_: {
      if (p.value.size() != 8) return false;
      double d;
      std::memcpy(&d, p.value.data(), 8);
      if (!std::isfinite(d)) return false;
      std::snprintf(buf, sizeof buf, "%.17g", d);
      sql += buf;
      if (!std::strpbrk(buf, "eE")) sql += "e0";
      return true;
    }
    case column_type::date:
    case column_type::datetime:
    case column_type::timestamp:
    case column_type::newdate: {
      const byte_span v = p.value;
      if (v.size() != 0 && v.size() != 4 && v.size() != 7 && v.size() != 11) return false;
      unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
      unsigned long micro = 0;
      if (v.size() >= 4) {
        year = v[0] | v[1] << 8;
        month = v[2];
        day = v[3];
      }
      if (v.size() >= 7) {
        hour = v[4];
        minute = v[5];
        second = v[6];
      }
      if (v.size() == 11) micro = static_cast<unsigned long>(little_endian(v.subspan(7, 4)));
      if (static_cast<column_type>(p.type) == column_type::date && v.size() <= 4)
        std::snprintf(buf, sizeof buf, "'%04u-%02u-%02u'", year, month, day);
      else if (micro)
        std::snprintf(buf, sizeof buf, "'%04u-%02u-%02u %02u:%02u:%02u.%06lu'", year, month, day,
                      hour, minute, second, micro);
      else
        std::snprintf(buf, sizeof buf, "'%04u-%02u-%02u %02u:%02u:%02u'", year, month, day, hour,
                      minute, second);
      sql += buf;
      return true;
    }
    case column_type::time: {
      const byte_span v = p.value;
      if (v.size() != 0 && v.size() != 8 && v.size() != 12) return false;
      if (v.empty()) {
        sql += "'00:00:00'";
        return true;
      }
      const bool negative = v[0] != 0;
      const std::uint64_t days = little_endian(v.subspan(1, 4));
      const std::uint64_t hours = days * 24 + v[5];
      const unsigned long micro =
          v.size() == 12 ? static_cast<unsigned long>(little_endian(v.subspan(8, 4))) : 0;
      if (micro)
        std::snprintf(buf, sizeof buf, "'%s%llu:%02u:%02u.%06lu'", negative ? "-" : "",
                      static_cast<unsigned long long>(hours), v[6], v[7], micro);
      else
        std::snprintf(buf, sizeof buf, "'%s%llu:%02u:%02u'", negative ? "-" : "",
                      static_cast<unsigned long long>(hours), v[6], v[7]);
      sql += buf;
      return true;
    }
    case column_type::decimal:
    case column_type::newdecimal: {
      const std::string_view s = as_string_view(p.value);
      if (plain_number(s)) {
        sql += s;
        return true;
      }
      append_quoted(sql, s, no_backslash_escapes);
      return true;
    }
    default:
      break;
  }
  if (fixed_size(p.type) == -1) return false;
  if (is_blob(p.type)) {
    static constexpr char hex[] = "0123456789ABCDEF";
    sql += "X'";
    for (std::uint8_t b : p.value) {
      sql += hex[b >> 4];
      sql += hex[b & 15];
    }
    sql += '\'';
    return true;
  }
  append_quoted(sql, as_string_view(p.value), no_backslash_escapes);
  return true;
}

void encode_execute(bytes& out, std::uint32_t statement_id, const execute_request& req,
                    byte_span types, std::uint16_t params, bool keep_cursor) {
  byte_writer w(out);
  w.u8(static_cast<std::uint8_t>(command::stmt_execute));
  w.u32(statement_id);
  w.u8(keep_cursor ? req.flags : static_cast<std::uint8_t>(req.flags & ~cursor_flags));
  w.u32(req.iterations);
  if (params > 0) {
    w.raw(req.null_bitmap);
    w.u8(1);
    w.raw(types);
  }
  w.raw(req.values);
}

bool decode_long_data(byte_span payload, long_data_request& out) {
  byte_reader r(payload);
  if (r.u8() != static_cast<std::uint8_t>(command::stmt_send_long_data)) return false;
  out.statement_id = r.u32();
  out.param = r.u16();
  if (!r.ok()) return false;
  out.data = payload.subspan(r.position());
  return true;
}

void encode_long_data(bytes& out, std::uint32_t statement_id, std::uint16_t param,
                      std::string_view data) {
  byte_writer w(out);
  w.u8(static_cast<std::uint8_t>(command::stmt_send_long_data));
  w.u32(statement_id);
  w.u16(param);
  w.raw(data);
}

void encode_statement_command(bytes& out, std::uint8_t cmd, std::uint32_t statement_id) {
  byte_writer w(out);
  w.u8(cmd);
  w.u32(statement_id);
}

}  // namespace shardgate::protocol
