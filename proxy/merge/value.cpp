#include "merge/value.hpp"

// GCC 12 at -O3 reports impossible std::string copies here (GCC bug 105329, -Wrestrict
// false positives in char_traits::copy after resize/assign).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace shardgate::merge {

using protocol::column_type;

namespace {

constexpr std::uint16_t binary_collation = 63;
constexpr std::uint16_t unsigned_flag = 0x20;
constexpr std::uint16_t enum_flag = 0x100;
constexpr std::uint16_t set_flag = 0x800;

int sign(int v) noexcept {
  return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

int compare_bytes(std::string_view a, std::string_view b) noexcept {
  const int c = a.compare(b);
  return sign(c);
}

// Integer text: optional '-', digits. Compares without converting (any width).
bool plain_integer(std::string_view s) noexcept {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// TIME '[-]HHH:MM:SS[.ffffff]' as microseconds.
bool parse_time(std::string_view s, long long& out) noexcept {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  long long h = 0, m = 0, sec = 0, frac = 0;
  auto num = [&](long long& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc()) return false;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    return true;
  };
  if (!num(h) || h > 100000 || s.empty() || s[0] != ':') return false;
  s.remove_prefix(1);
  if (!num(m) || s.empty() || s[0] != ':') return false;
  s.remove_prefix(1);
  if (!num(sec)) return false;
  if (!s.empty()) {
    if (s[0] != '.') return false;
    s.remove_prefix(1);
    int digits = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      if (digits < 6) frac = frac * 10 + (c - '0');
      ++digits;
    }
    for (; digits < 6; ++digits) frac *= 10;
  }
  out = ((h * 60 + m) * 60 + sec) * 1000000 + frac;
  if (neg) out = -out;
  return true;
}

}  // namespace

value_class class_of(const protocol::column_definition& col) noexcept {
  switch (col.type) {
    case column_type::tiny:
    case column_type::short_:
    case column_type::long_:
    case column_type::longlong:
    case column_type::int24:
    case column_type::year:
      return (col.flags & unsigned_flag) ? value_class::unsigned_int : value_class::signed_int;
    case column_type::decimal:
    case column_type::newdecimal:
      return value_class::decimal;
    case column_type::float_:
    case column_type::double_:
      return value_class::floating;
    case column_type::date:
    case column_type::newdate:
    case column_type::datetime:
    case column_type::timestamp:
      return value_class::temporal;
    case column_type::time:
      return value_class::time;
    case column_type::bit:
    case column_type::null:
      return value_class::bytes;
    case column_type::enum_:
    case column_type::set:
    case column_type::json:
    case column_type::geometry:
      return value_class::unordered;
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::varchar:
    case column_type::var_string:
    case column_type::string:
      if (col.flags & (enum_flag | set_flag)) return value_class::unordered;
      return col.collation == binary_collation ? value_class::bytes : value_class::collated;
  }
  return value_class::unordered;
}

const char* value_class_name(value_class c) noexcept {
  switch (c) {
    case value_class::signed_int:
      return "integer";
    case value_class::unsigned_int:
      return "unsigned integer";
    case value_class::decimal:
      return "decimal";
    case value_class::floating:
      return "floating point";
    case value_class::temporal:
      return "date/time";
    case value_class::time:
      return "time";
    case value_class::bytes:
      return "binary";
    case value_class::collated:
      return "text";
    case value_class::unordered:
      return "ENUM/SET/JSON/GEOMETRY";
  }
  return "?";
}

int compare_values(value_class c, std::string_view a, std::string_view b) noexcept {
  switch (c) {
    case value_class::signed_int:
    case value_class::unsigned_int:
    case value_class::decimal: {
      if (c != value_class::decimal && plain_integer(a) && plain_integer(b)) {
        const bool na = a[0] == '-', nb = b[0] == '-';
        if (na != nb) return na ? -1 : 1;
        std::string_view da = a.substr(na), db = b.substr(nb);
        int r = da.size() != db.size() ? (da.size() < db.size() ? -1 : 1) : compare_bytes(da, db);
        return na ? -r : r;
      }
      decimal x, y;
      if (x.parse(a) && y.parse(b)) return x.compare(y);
      double dx = 0, dy = 0;
      if (parse_double(a, dx) && parse_double(b, dy)) return dx < dy ? -1 : (dx > dy ? 1 : 0);
      return compare_bytes(a, b);
    }
    case value_class::floating: {
      double dx = 0, dy = 0;
      if (parse_double(a, dx) && parse_double(b, dy)) return dx < dy ? -1 : (dx > dy ? 1 : 0);
      return compare_bytes(a, b);
    }
    case value_class::time: {
      long long x = 0, y = 0;
      if (parse_time(a, x) && parse_time(b, y)) return x < y ? -1 : (x > y ? 1 : 0);
      return compare_bytes(a, b);
    }
    case value_class::temporal:
    case value_class::bytes:
    case value_class::collated:
    case value_class::unordered:
      return compare_bytes(a, b);
  }
  return 0;
}

int compare_fields(value_class c, const field& a, const field& b) noexcept {
  if (!a || !b) return a ? 1 : (b ? -1 : 0);
  return compare_values(c, *a, *b);
}

// ---- collation weights -----------------------------------------------------------------

weight_parts split_weight(std::string_view f) noexcept {
  if (f.empty()) return {};
  const std::size_t n = static_cast<unsigned char>(f[0]);
  if (n == 0 || 1 + n > f.size()) return {{}, f};
  return {f.substr(1, n), f.substr(1 + n)};
}

int compare_weights(std::string_view a, std::string_view b) noexcept {
  const weight_parts pa = split_weight(a), pb = split_weight(b);
  const std::string_view space = pa.space.empty() ? pb.space : pa.space;
  const std::string_view x = pa.weights, y = pb.weights;
  const std::size_t n = std::min(x.size(), y.size());
  const int c = n ? std::memcmp(x.data(), y.data(), n) : 0;
  if (c != 0) return c < 0 ? -1 : 1;
  if (x.size() == y.size()) return 0;
  // The longer one's rest against the spaces the shorter one is padded with.
  const bool a_longer = x.size() > y.size();
  const std::string_view rest = (a_longer ? x : y).substr(n);
  int r = 1;  // without a known space weight: the longer value is greater
  if (!space.empty()) {
    r = 0;
    for (std::size_t i = 0; i < rest.size() && r == 0; ++i) {
      const auto have = static_cast<unsigned char>(rest[i]);
      const auto pad = static_cast<unsigned char>(space[i % space.size()]);
      if (have != pad) r = have < pad ? -1 : 1;
    }
  }
  return a_longer ? r : -r;
}

std::string_view canonical_weight(std::string_view field) noexcept {
  const weight_parts p = split_weight(field);
  std::string_view w = p.weights;
  const std::size_t unit = p.space.size();
  if (unit == 0) return w;
  while (w.size() >= unit && w.size() % unit == 0 && w.substr(w.size() - unit) == p.space)
    w.remove_suffix(unit);
  return w;
}

// ---- decimal -------------------------------------------------------------------------

bool decimal::parse(std::string_view s) {
  negative_ = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative_ = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  const auto dot = s.find('.');
  std::string_view ip = s.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (ip.empty() && fp.empty()) return false;
  for (char ch : ip)
    if (ch < '0' || ch > '9') return false;
  for (char ch : fp)
    if (ch < '0' || ch > '9') return false;
  digits_.assign(ip);
  digits_.append(fp);
  scale_ = static_cast<int>(fp.size());
  trim();
  return true;
}

decimal decimal::from_uint(std::uint64_t v) {
  decimal d;
  d.digits_ = std::to_string(v);
  return d;
}

void decimal::trim() {
  // Leading zeros of the integer part (keep one digit before the point).
  std::size_t lead = 0;
  while (lead + 1 < digits_.size() && digits_[lead] == '0' &&
         static_cast<int>(digits_.size() - lead) > scale_ + 1)
    ++lead;
  digits_.erase(0, lead);
  if (static_cast<int>(digits_.size()) <= scale_)
    digits_.insert(0, static_cast<std::size_t>(scale_ + 1 - static_cast<int>(digits_.size())), '0');
  if (is_zero()) negative_ = false;
}

bool decimal::is_zero() const noexcept {
  return std::all_of(digits_.begin(), digits_.end(), [](char c) { return c == '0'; });
}

namespace {

// |a| vs |b| for digit strings of the same scale.
int compare_magnitude(const std::string& a, const std::string& b) {
  std::size_t ia = 0, ib = 0;
  while (ia + 1 < a.size() && a[ia] == '0') ++ia;
  while (ib + 1 < b.size() && b[ib] == '0') ++ib;
  const std::size_t la = a.size() - ia, lb = b.size() - ib;
  if (la != lb) return la < lb ? -1 : 1;
  const int c = a.compare(ia, la, b, ib, lb);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string add_magnitudes(const std::string& a, const std::string& b) {
  std::string r;
  r.resize(std::max(a.size(), b.size()) + 1);
  int carry = 0;
  std::size_t ia = a.size(), ib = b.size(), ir = r.size();
  while (ir > 0) {
    int d = carry;
    if (ia > 0) d += a[--ia] - '0';
    if (ib > 0) d += b[--ib] - '0';
    carry = d / 10;
    r[--ir] = static_cast<char>('0' + d % 10);
  }
  return r;
}

// a - b with |a| >= |b|.
std::string sub_magnitudes(const std::string& a, const std::string& b) {
  std::string r(a.size(), '0');
  int borrow = 0;
  std::size_t ia = a.size(), ib = b.size();
  while (ia > 0) {
    int d = (a[--ia] - '0') - borrow - (ib > 0 ? b[--ib] - '0' : 0);
    borrow = d < 0;
    if (d < 0) d += 10;
    r[ia] = static_cast<char>('0' + d);
  }
  return r;
}

}  // namespace

void decimal::add(const decimal& other) {
  std::string a = digits_, b = other.digits_;
  const int scale = std::max(scale_, other.scale_);
  a.append(static_cast<std::size_t>(scale - scale_), '0');
  b.append(static_cast<std::size_t>(scale - other.scale_), '0');
  if (negative_ == other.negative_) {
    digits_ = add_magnitudes(a, b);
  } else if (compare_magnitude(a, b) >= 0) {
    digits_ = sub_magnitudes(a, b);
  } else {
    digits_ = sub_magnitudes(b, a);
    negative_ = other.negative_;
  }
  scale_ = scale;
  trim();
}

int decimal::compare(const decimal& other) const noexcept {
  if (negative_ != other.negative_) return negative_ ? -1 : 1;
  std::string a = digits_, b = other.digits_;
  const int scale = std::max(scale_, other.scale_);
  a.append(static_cast<std::size_t>(scale - scale_), '0');
  b.append(static_cast<std::size_t>(scale - other.scale_), '0');
  const int m = compare_magnitude(a, b);
  return negative_ ? -m : m;
}

decimal decimal::divide(std::uint64_t n, int scale) const {
  decimal q;
  if (n == 0) return q;
  // Long division of digits_ * 10^(scale + 1 - scale_) by n, one extra digit to round.
  std::string num = digits_;
  const int shift = scale + 1 - scale_;
  if (shift >= 0) {
    num.append(static_cast<std::size_t>(shift), '0');
  } else {
    num.resize(num.size() -
               static_cast<std::size_t>(std::min<int>(-shift, static_cast<int>(num.size()))));
    if (num.empty()) num = "0";
  }
  std::string out;
  unsigned __int128 rem = 0;
  for (char c : num) {
    rem = rem * 10 + static_cast<unsigned>(c - '0');
    out.push_back(static_cast<char>('0' + static_cast<int>(rem / n)));
    rem %= n;
  }
  // Round on the extra digit (half away from zero).
  const bool up = out.back() >= '5';
  out.pop_back();
  if (out.empty()) out = "0";
  if (up) {
    std::size_t i = out.size();
    while (i > 0) {
      if (out[i - 1] == '9') {
        out[i - 1] = '0';
        --i;
      } else {
        ++out[i - 1];
        break;
      }
    }
    if (i == 0) out.insert(out.begin(), '1');
  }
  q.digits_ = out;
  q.scale_ = scale;
  q.negative_ = negative_;
  q.trim();
  return q;
}

std::string decimal::to_string(int scale) const {
  std::string d = digits_;
  int s = scale_;
  bool neg = negative_;
  if (scale < s) {
    // Round half away from zero.
    const std::size_t keep = d.size() - static_cast<std::size_t>(s - scale);
    const bool up = d[keep] >= '5';
    d.resize(keep);
    s = scale;
    if (up) {
      std::size_t i = d.size();
      while (i > 0) {
        if (d[i - 1] == '9') {
          d[i - 1] = '0';
          --i;
        } else {
          ++d[i - 1];
          break;
        }
      }
      if (i == 0) d.insert(d.begin(), '1');
    }
  }
  d.append(static_cast<std::size_t>(scale - s), '0');
  // At least one digit before the point.
  if (static_cast<int>(d.size()) <= scale)
    d.insert(0, static_cast<std::size_t>(scale + 1 - static_cast<int>(d.size())), '0');
  std::size_t lead = 0;
  while (lead + 1 < d.size() - static_cast<std::size_t>(scale) && d[lead] == '0') ++lead;
  d.erase(0, lead);
  if (std::all_of(d.begin(), d.end(), [](char c) { return c == '0'; })) neg = false;
  std::string out;
  if (neg) out.push_back('-');
  out.append(d, 0, d.size() - static_cast<std::size_t>(scale));
  if (scale > 0) {
    out.push_back('.');
    out.append(d, d.size() - static_cast<std::size_t>(scale), std::string::npos);
  }
  return out;
}

// ---- floating point ------------------------------------------------------------------

bool parse_double(std::string_view text, double& out) noexcept {
  if (text.empty() || text.size() > 400) return false;
  char buf[401];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  char* end = nullptr;
  out = std::strtod(buf, &end);
  return end == buf + text.size();
}

std::string format_double(double v) {
  // As MariaDB prints DOUBLE: the shortest round-trip digits, in plain notation unless
  // the exponent is below -15, or the number is 1e15 or more and plain notation would
  // need zeros beyond its digits (1e15, 1.5e15, but 2355555555555555.5 and 100000000000000).
  if (!std::isfinite(v)) return v != v ? "nan" : (v < 0 ? "-inf" : "inf");  // callers refuse these
  char buf[400];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if (ec != std::errc()) return "0";
  const std::string sci(buf, p);
  const auto e = sci.find('e');
  if (e == std::string::npos) return sci;
  const int exp = std::atoi(sci.c_str() + e + 1);
  int digits = 0;
  for (std::size_t i = 0; i < e; ++i) digits += sci[i] >= '0' && sci[i] <= '9';
  const int decpt = exp + 1;
  if (v != 0 && (exp < -15 || (decpt > 15 && decpt >= digits)))
    return sci.substr(0, e) + "e" + std::to_string(exp);
  auto [q, ec2] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec2 != std::errc()) return sci;
  return std::string(buf, q);
}

}  // namespace shardgate::merge
