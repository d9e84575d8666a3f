// Civil (proleptic Gregorian) dates as days since 1970-01-01, for date-based shard keys:
// parsing the date part of an order number or a configured date, and formatting it back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardgate::routing {

// Days since 1970-01-01 for `y-m-d`; m in 1..12, d in 1..31 (not validated here).
constexpr std::int32_t days_from_civil(std::int32_t y, unsigned m, unsigned d) noexcept {
  // Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
  y -= m <= 2;
  const std::int32_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);             // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<std::int32_t>(doe) - 719468;
}

// "YYYYMMDD" or "YYYY-MM-DD" (nothing else: no spaces, no single-digit fields), year
// 0001..9999, month and day checked against the Gregorian calendar.
std::optional<std::int32_t> parse_date(std::string_view text) noexcept;

// "YYYY-MM-DD" (years outside 0..9999 keep their sign and extra digits).
std::string format_date(std::int32_t days);

}  // namespace shardgate::routing
