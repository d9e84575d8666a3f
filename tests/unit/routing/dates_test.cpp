#include "routing/dates.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace shardgate::routing {
namespace {

TEST(dates, parse) {
  struct date_case {
    const char* text;
    std::optional<std::int32_t> days;
  };
  const date_case cases[] = {
      {"1970-01-01", 0},
      {"19700101", 0},
      {"1970-01-02", 1},
      {"1969-12-31", -1},
      {"2000-01-01", 10957},
      {"2000-02-29", 11016},
      {"20000229", 11016},
      {"2000-03-01", 11017},
      {"2026-11-22", 20779},
      {"0001-01-01", -719162},
      {"9999-12-31", 2932896},
      {"2024-02-29", 19782},
      {"1900-02-29", std::nullopt},  // century, not leap
      {"2023-02-29", std::nullopt},
      {"2000-02-30", std::nullopt},
      {"2026-04-31", std::nullopt},
      {"2026-12-32", std::nullopt},
      {"20261301", std::nullopt},
      {"2026-00-10", std::nullopt},
      {"2026-01-00", std::nullopt},
      {"0000-01-01", std::nullopt},
      {"2026-1-01", std::nullopt},
      {"2026-01-1", std::nullopt},
      {"2026-11-22x", std::nullopt},
      {"20261122 ", std::nullopt},
      {" 20261122", std::nullopt},
      {"2026/11/22", std::nullopt},
      {"2026-1122", std::nullopt},
      {"202611-22", std::nullopt},
      {"2026-11-2a", std::nullopt},
      {"+2026-11-2", std::nullopt},
      {"-001-01-01", std::nullopt},
      {"", std::nullopt},
      {"2026112", std::nullopt},
      {"202611220", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_date(c.text), c.days) << c.text;
}

TEST(dates, format) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_date(11016), "2000-02-29");
  EXPECT_EQ(format_date(20779), "2026-11-22");
  EXPECT_EQ(format_date(-719162), "0001-01-01");
  EXPECT_EQ(format_date(2932896), "9999-12-31");
  EXPECT_EQ(format_date(2932897), "10000-01-01");
  EXPECT_EQ(format_date(-719163), "0000-12-31");
  EXPECT_EQ(format_date(-719529), "-0001-12-31");
}

TEST(dates, round_trip_every_day_of_four_centuries) {
  // 1600-01-01 .. 2400-12-31 covers every leap-year rule twice.
  const std::int32_t first = *parse_date("1600-01-01");
  const std::int32_t last = *parse_date("2400-12-31");
  for (std::int32_t d = first; d <= last; ++d) {
    const std::string text = format_date(d);
    ASSERT_EQ(parse_date(text), d) << text;
    std::string compact = text;
    compact.erase(7, 1);
    compact.erase(4, 1);
    ASSERT_EQ(parse_date(compact), d) << compact;
  }
}

TEST(dates, days_from_civil_is_constexpr) {
  static_assert(days_from_civil(1970, 1, 1) == 0);
  static_assert(days_from_civil(2026, 11, 22) == 20779);
  EXPECT_EQ(days_from_civil(2000, 2, 29), 11016);
}

}  // namespace
}  // namespace shardgate::routing
