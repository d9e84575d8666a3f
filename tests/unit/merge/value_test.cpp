// Values as MySQL compares and adds them: exact DECIMAL arithmetic and rounding, typed
// comparison, the classes of column types.
#include <gtest/gtest.h>

#include "merge/value.hpp"

namespace shardgate::merge {
namespace {

std::string sum(std::initializer_list<const char*> values, int scale) {
  decimal total;
  for (const char* v : values) {
    decimal d;
    EXPECT_TRUE(d.parse(v)) << v;
    total.add(d);
  }
  return total.to_string(scale);
}

TEST(decimal, parses_and_prints_at_a_scale) {
  decimal d;
  ASSERT_TRUE(d.parse("-0012.3400"));
  EXPECT_EQ(d.to_string(2), "-12.34");
  EXPECT_EQ(d.to_string(5), "-12.34000");
  EXPECT_EQ(d.to_string(0), "-12");
  EXPECT_EQ(d.to_string(1), "-12.3");
  ASSERT_TRUE(d.parse(".5"));
  EXPECT_EQ(d.to_string(0), "1");  // half away from zero
  ASSERT_TRUE(d.parse("-0.5"));
  EXPECT_EQ(d.to_string(0), "-1");
  ASSERT_TRUE(d.parse("-0.4"));
  EXPECT_EQ(d.to_string(0), "0");  // no negative zero
  ASSERT_TRUE(d.parse("9.995"));
  EXPECT_EQ(d.to_string(2), "10.00");
  for (const char* bad : {"", "-", ".", "1e5", "abc", "1.2.3", "--1", "1-"})
    EXPECT_FALSE(d.parse(bad)) << bad;
}

TEST(decimal, adds_exactly_with_mixed_signs_and_scales) {
  EXPECT_EQ(sum({"0.1", "0.2"}, 1), "0.3");
  EXPECT_EQ(sum({"12.50", "-12.5"}, 2), "0.00");
  EXPECT_EQ(sum({"-1.25", "1"}, 2), "-0.25");
  EXPECT_EQ(sum({"999999999999999999999999999999.99", "0.01"}, 2),
            "1000000000000000000000000000000.00");
  EXPECT_EQ(sum({"-5", "-7.125", "2"}, 3), "-10.125");
  EXPECT_EQ(sum({"100", "-100.001"}, 3), "-0.001");
  EXPECT_EQ(sum({}, 2), "0.00");
}

TEST(decimal, divides_rounding_half_away_from_zero) {
  decimal d;
  ASSERT_TRUE(d.parse("10"));
  EXPECT_EQ(d.divide(3, 4).to_string(4), "3.3333");
  ASSERT_TRUE(d.parse("20"));
  EXPECT_EQ(d.divide(3, 4).to_string(4), "6.6667");
  ASSERT_TRUE(d.parse("-20"));
  EXPECT_EQ(d.divide(3, 4).to_string(4), "-6.6667");
  ASSERT_TRUE(d.parse("12.34"));
  EXPECT_EQ(d.divide(7, 6).to_string(6), "1.762857");
  ASSERT_TRUE(d.parse("1"));
  EXPECT_EQ(d.divide(8, 2).to_string(2), "0.13");  // 0.125 -> 0.13
  ASSERT_TRUE(d.parse("0"));
  EXPECT_EQ(d.divide(5, 4).to_string(4), "0.0000");
  ASSERT_TRUE(d.parse("123456789012345678901234567890"));
  EXPECT_EQ(d.divide(1000000007ull, 4).to_string(4), "123456788148148161864.1974");
}

TEST(decimal, compares) {
  decimal a, b;
  auto cmp = [&](const char* x, const char* y) {
    EXPECT_TRUE(a.parse(x) && b.parse(y));
    return a.compare(b);
  };
  EXPECT_EQ(cmp("1.50", "1.5"), 0);
  EXPECT_EQ(cmp("-2", "1"), -1);
  EXPECT_EQ(cmp("-2", "-10"), 1);
  EXPECT_EQ(cmp("100", "99.999"), 1);
  EXPECT_EQ(cmp("0.001", "0.0009"), 1);
  EXPECT_EQ(cmp("-0", "0"), 0);
}

TEST(compare_values, by_class) {
  EXPECT_LT(compare_values(value_class::signed_int, "9", "10"), 0);
  EXPECT_GT(compare_values(value_class::signed_int, "-9", "-10"), 0);
  EXPECT_LT(compare_values(value_class::signed_int, "-1", "0"), 0);
  EXPECT_LT(
      compare_values(value_class::unsigned_int, "9223372036854775808", "18446744073709551615"), 0);
  EXPECT_LT(compare_values(value_class::decimal, "9.5", "10.25"), 0);
  EXPECT_EQ(compare_values(value_class::decimal, "1.0", "1.00"), 0);
  EXPECT_LT(compare_values(value_class::floating, "9e-1", "1"), 0);
  EXPECT_GT(compare_values(value_class::floating, "1e20", "9.5e19"), 0);
  EXPECT_LT(compare_values(value_class::temporal, "2025-12-31", "2026-01-01"), 0);
  EXPECT_LT(compare_values(value_class::temporal, "0000-00-00 00:00:00", "1970-01-01 00:00:00"), 0);
  EXPECT_LT(compare_values(value_class::time, "-01:00:00", "00:00:00"), 0);
  EXPECT_LT(compare_values(value_class::time, "99:00:00", "100:00:00"), 0);
  EXPECT_LT(compare_values(value_class::time, "-100:00:00", "-99:00:00"), 0);
  EXPECT_LT(compare_values(value_class::time, "00:00:00.5", "00:00:00.75"), 0);
  EXPECT_LT(compare_values(value_class::bytes, std::string_view("a\0", 2), "b"), 0);
  EXPECT_GT(compare_values(value_class::bytes, "\xff", "a"), 0);
  // NULL first.
  EXPECT_LT(compare_fields(value_class::signed_int, std::nullopt, field("-5")), 0);
  EXPECT_EQ(compare_fields(value_class::signed_int, std::nullopt, std::nullopt), 0);
}

TEST(class_of, column_types) {
  using protocol::column_type;
  protocol::column_definition c;
  c.type = column_type::longlong;
  EXPECT_EQ(class_of(c), value_class::signed_int);
  c.flags = 0x20;  // UNSIGNED
  EXPECT_EQ(class_of(c), value_class::unsigned_int);
  c = {};
  c.type = column_type::newdecimal;
  EXPECT_EQ(class_of(c), value_class::decimal);
  c.type = column_type::double_;
  EXPECT_EQ(class_of(c), value_class::floating);
  c.type = column_type::datetime;
  EXPECT_EQ(class_of(c), value_class::temporal);
  c.type = column_type::var_string;
  c.collation = 45;  // utf8mb4_general_ci
  EXPECT_EQ(class_of(c), value_class::collated);
  c.collation = 63;  // binary
  EXPECT_EQ(class_of(c), value_class::bytes);
  c.type = column_type::string;
  c.collation = 45;
  c.flags = 0x100;  // ENUM
  EXPECT_EQ(class_of(c), value_class::unordered);
}

TEST(format_double, as_mysql_prints) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e20), "1e20");
  EXPECT_EQ(format_double(1.5e-17), "1.5e-17");
  EXPECT_EQ(format_double(-2.5), "-2.5");
  EXPECT_EQ(format_double(100), "100");
  // Plain digits as MariaDB prints DOUBLE (checked against MariaDB 10.11).
  EXPECT_EQ(format_double(1.702e9), "1702000000");
  EXPECT_EQ(format_double(4e-5), "0.00004");
  EXPECT_EQ(format_double(1e14), "100000000000000");
  EXPECT_EQ(format_double(1e15), "1e15");
  EXPECT_EQ(format_double(1.5e15), "1.5e15");
  EXPECT_EQ(format_double(1.234567890123456e15), "1.234567890123456e15");
  EXPECT_EQ(format_double(2355555555555555.5), "2355555555555555.5");
  EXPECT_EQ(format_double(1234567890123456.7), "1234567890123456.8");
  EXPECT_EQ(format_double(1e-6), "0.000001");
  EXPECT_EQ(format_double(1.234e-15), "0.000000000000001234");
  EXPECT_EQ(format_double(1e-16), "1e-16");
  EXPECT_EQ(format_double(1.2500000000000002e-7), "0.00000012500000000000002");
  EXPECT_EQ(format_double(0), "0");
  EXPECT_EQ(format_double(1.5e308 * 10), "inf");  // never formatted as a number (refused)
  double d = 0;
  EXPECT_TRUE(parse_double("1e3", d));
  EXPECT_EQ(d, 1000);
  EXPECT_FALSE(parse_double("1e3x", d));
  EXPECT_FALSE(parse_double("", d));
}

}  // namespace
}  // namespace shardgate::merge

namespace shardgate::merge {
namespace {

// Weight fields as the planner's CONCAT(CHAR(n), <space weight>, WEIGHT_STRING(x)) builds
// them; weights below as utf8mb4_unicode_ci gives them ('a' 0E33, space 0209, tab 0201).
std::string wf(std::string_view weights, std::string_view space = std::string_view("\x02\x09", 2)) {
  std::string f(1, static_cast<char>(space.size()));
  f += space;
  f += weights;
  return f;
}

TEST(weights, pad_space_order_and_equality) {
  const std::string a = wf("\x0E\x33");
  const std::string a_space = wf(std::string_view("\x0E\x33\x02\x09", 4));
  const std::string a_tab = wf(std::string_view("\x0E\x33\x02\x01", 4));
  const std::string ab = wf("\x0E\x33\x0E\x4A");
  const std::string empty = wf("");
  EXPECT_EQ(compare_weights(a, a_space), 0);  // 'a' = 'a '
  EXPECT_LT(compare_weights(a_tab, a), 0);    // 'a\t' < 'a' (padded with spaces)
  EXPECT_GT(compare_weights(a, a_tab), 0);
  EXPECT_LT(compare_weights(a_space, ab), 0);  // 'a ' < 'ab'
  EXPECT_LT(compare_weights(empty, a), 0);
  EXPECT_EQ(canonical_weight(a_space), canonical_weight(a));
  EXPECT_NE(canonical_weight(a_tab), canonical_weight(a));
  // Not in the planner's form (no space weight): plain byte order.
  EXPECT_GT(compare_weights("ab", "a"), 0);
  EXPECT_EQ(canonical_weight("ab "), "ab ");
  // A one-byte space weight (latin1): trailing units stripped only whole.
  EXPECT_EQ(canonical_weight(wf("\x41\x20\x20", "\x20")), "\x41");
}

}  // namespace
}  // namespace shardgate::merge
