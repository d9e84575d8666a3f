#include "protocol/binary_row.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

namespace shardgate::protocol {

namespace {

bool parse_uint(std::string_view s, std::uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_int(std::string_view s, std::int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Reads `digits` decimal digits at s[i...]; false if not digits.
bool digits_at(std::string_view s, std::size_t i, std::size_t digits, unsigned& v) {
  if (i + digits > s.size()) return false;
  v = 0;
  for (std::size_t k = 0; k < digits; ++k) {
    const char c = s[i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

// ".ffffff" (1 to 6 digits) at s[i...] to the end: microseconds.
bool fraction_at(std::string_view s, std::size_t i, unsigned long& micro) {
  micro = 0;
  if (i == s.size()) return true;
  if (s[i] != '.' || s.size() - i - 1 > 6 || s.size() - i - 1 == 0) return false;
  std::size_t n = 0;
  for (std::size_t k = i + 1; k < s.size(); ++k, ++n) {
    if (s[k] < '0' || s[k] > '9') return false;
    micro = micro * 10 + static_cast<unsigned long>(s[k] - '0');
  }
  for (; n < 6; ++n) micro *= 10;
  return true;
}

void put_le(bytes& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// "YYYY-MM-DD[ HH:MM:SS[.ffffff]]" as the server's binary DATE/DATETIME/TIMESTAMP.
bool put_datetime(bytes& out, std::string_view s) {
  unsigned y, mo, d, h = 0, mi = 0, sec = 0;
  unsigned long micro = 0;
  if (!digits_at(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits_at(s, 5, 2, mo) ||
      s[7] != '-' || !digits_at(s, 8, 2, d))
    return false;
  if (s.size() > 10) {
    if (s.size() < 19 || s[10] != ' ' || !digits_at(s, 11, 2, h) || s[13] != ':' ||
        !digits_at(s, 14, 2, mi) || s[16] != ':' || !digits_at(s, 17, 2, sec) ||
        !fraction_at(s, 19, micro))
      return false;
  }
  const std::uint8_t len = micro ? 11 : (h || mi || sec) ? 7 : (y || mo || d) ? 4 : 0;
  out.push_back(len);
  if (len >= 4) {
    put_le(out, y, 2);
    out.push_back(static_cast<std::uint8_t>(mo));
    out.push_back(static_cast<std::uint8_t>(d));
  }
  if (len >= 7) {
    out.push_back(static_cast<std::uint8_t>(h));
    out.push_back(static_cast<std::uint8_t>(mi));
    out.push_back(static_cast<std::uint8_t>(sec));
  }
  if (len == 11) put_le(out, micro, 4);
  return true;
}

// "[-]H+:MM:SS[.ffffff]" as the server's binary TIME.
bool put_time(bytes& out, std::string_view s) {
  bool negative = false;
  std::size_t i = 0;
  if (!s.empty() && s[0] == '-') negative = true, i = 1;
  const std::size_t colon = s.find(':', i);
  if (colon == std::string_view::npos || colon == i || colon - i > 4) return false;
  unsigned hours, mi, sec;
  unsigned long micro;
  if (!digits_at(s, i, colon - i, hours) || s.size() < colon + 6 ||
      !digits_at(s, colon + 1, 2, mi) || s[colon + 3] != ':' || !digits_at(s, colon + 4, 2, sec) ||
      !fraction_at(s, colon + 6, micro))
    return false;
  const std::uint8_t len = micro ? 12 : (hours || mi || sec) ? 8 : 0;
  out.push_back(len);
  if (len == 0) return true;
  out.push_back(negative ? 1 : 0);
  put_le(out, hours / 24, 4);
  out.push_back(static_cast<std::uint8_t>(hours % 24));
  out.push_back(static_cast<std::uint8_t>(mi));
  out.push_back(static_cast<std::uint8_t>(sec));
  if (len == 12) put_le(out, micro, 4);
  return true;
}

bool put_integer(bytes& out, std::string_view s, bool is_unsigned, int n) {
  if (is_unsigned) {
    std::uint64_t v;
    if (!parse_uint(s, v)) return false;
    put_le(out, v, n);
  } else {
    std::int64_t v;
    if (!parse_int(s, v)) return false;
    put_le(out, static_cast<std::uint64_t>(v), n);
  }
  return true;
}

}  // namespace

bool encode_binary_row(bytes& out, const text_row& row,
                       std::span<const column_definition> columns) {
  const std::size_t n = columns.size();
  if (row.size() < n) return false;
  out.push_back(0x00);
  const std::size_t bitmap_at = out.size();
  out.insert(out.end(), (n + 7 + 2) / 8, 0);
  std::string scratch;
  for (std::size_t c = 0; c < n; ++c) {
    const column_definition& col = columns[c];
    if (!row[c] || col.type == column_type::null) {
      out[bitmap_at + (c + 2) / 8] |= static_cast<std::uint8_t>(1u << ((c + 2) % 8));
      continue;
    }
    const std::string_view s = *row[c];
    const bool is_unsigned = (col.flags & column_unsigned_flag) != 0;
    bool ok = true;
    switch (col.type) {
      case column_type::tiny:
        ok = put_integer(out, s, is_unsigned, 1);
        break;
      case column_type::short_:
      case column_type::year:
        ok = put_integer(out, s, is_unsigned, 2);
        break;
      case column_type::long_:
      case column_type::int24:
        ok = put_integer(out, s, is_unsigned, 4);
        break;
      case column_type::longlong:
        ok = put_integer(out, s, is_unsigned, 8);
        break;
      case column_type::float_:
      case column_type::double_: {
        scratch.assign(s);
        char* end = nullptr;
        if (col.type == column_type::float_) {
          const float f = std::strtof(scratch.c_str(), &end);
          std::uint32_t bits;
          std::memcpy(&bits, &f, 4);
          put_le(out, bits, 4);
        } else {
          const double d = std::strtod(scratch.c_str(), &end);
          std::uint64_t bits;
          std::memcpy(&bits, &d, 8);
          put_le(out, bits, 8);
        }
        ok = end == scratch.c_str() + scratch.size() && !scratch.empty();
        break;
      }
      case column_type::date:
      case column_type::newdate:
      case column_type::datetime:
      case column_type::timestamp:
        ok = put_datetime(out, s);
        break;
      case column_type::time:
        ok = put_time(out, s);
        break;
      default: {  // strings, DECIMAL, BLOB, ENUM, SET, BIT, JSON, GEOMETRY: the same bytes
        byte_writer w(out);
        w.lenenc_str(s);
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace shardgate::protocol
