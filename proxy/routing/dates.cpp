#include "routing/dates.hpp"

namespace shardgate::routing {

namespace {

constexpr bool is_leap(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Reads `count` decimal digits; false on anything else.
bool digits(std::string_view text, std::size_t at, std::size_t count, unsigned& value) noexcept {
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(days_from_civil(1969, 12, 31) == -1);

}  // namespace

std::optional<std::int32_t> parse_date(std::string_view text) noexcept {
  unsigned y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (text.size() == 8) {
    if (!digits(text, 0, 4, y) || !digits(text, 4, 2, m) || !digits(text, 6, 2, d)) {
      return std::nullopt;
    }
  } else if (text.size() == 10) {
    if (text[4] != '-' || text[7] != '-' || !digits(text, 0, 4, y) || !digits(text, 5, 2, m) ||
        !digits(text, 8, 2, d)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return days_from_civil(static_cast<std::int32_t>(y), m, d);
}

std::string format_date(std::int32_t days) {
  // Howard Hinnant's civil_from_days, in 64 bits so every int32 input is in range.
  const std::int64_t z = static_cast<std::int64_t>(days) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;                                // [1, 12]
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);

  std::string out;
  std::uint64_t magnitude = y < 0 ? static_cast<std::uint64_t>(-y) : static_cast<std::uint64_t>(y);
  char year[24];
  std::size_t n = 0;
  do {
    year[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  while (n < 4) year[n++] = '0';
  if (y < 0) out += '-';
  while (n > 0) out += year[--n];
  out += '-';
  out += static_cast<char>('0' + m / 10);
  out += static_cast<char>('0' + m % 10);
  out += '-';
  out += static_cast<char>('0' + d / 10);
  out += static_cast<char>('0' + d % 10);
  return out;
}

}  // namespace shardgate::routing
