// Values of text-protocol result rows as MySQL compares and adds them: by the column's
// type (integers, exact DECIMAL, floating point, temporals, binary strings) - and, for
// text under a collation, by the collation weights the shard computed (WEIGHT_STRING),
// so any collation orders exactly as the server would. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/resultset.hpp"

namespace shardgate::merge {

using field = std::optional<std::string_view>;  // nullopt: SQL NULL

// How a column's values compare.
enum class value_class : std::uint8_t {
  signed_int,
  unsigned_int,
  decimal,    // exact: DECIMAL, and integers too wide for 64 bits
  floating,   // FLOAT, DOUBLE
  temporal,   // DATE, DATETIME, TIMESTAMP: fixed-width text, compares as bytes
  time,       // TIME: signed, hours may exceed 99
  bytes,      // binary strings, BIT, weight strings: byte order
  collated,   // text under a collation: compare its weight string
  unordered,  // ENUM / SET (ordered by their index, which the text protocol does not carry), JSON,
              // GEOMETRY
};

value_class class_of(const protocol::column_definition& col) noexcept;
const char* value_class_name(value_class c) noexcept;

// -1, 0, 1 for two non-NULL values of class `c` (never `collated`: compare the weights as
// `bytes`; not `unordered`). Malformed numbers compare as text (never crash).
int compare_values(value_class c, std::string_view a, std::string_view b) noexcept;

// NULL first (MySQL's ascending order).
int compare_fields(value_class c, const field& a, const field& b) noexcept;

// A weight column as the scatter planner builds it for text: one byte n, the collation's
// weight of a space (n bytes), then the value's weights (WEIGHT_STRING). A field not in
// that form is all weights.
struct weight_parts {
  std::string_view space;
  std::string_view weights;
};
weight_parts split_weight(std::string_view field) noexcept;
// Orders two weight fields as a PAD SPACE collation orders the values: the shorter one
// as if padded with spaces ('a\t' < 'a' == 'a ' < 'ab').
int compare_weights(std::string_view a, std::string_view b) noexcept;
// The weights without trailing spaces: equal exactly when the values are equal under a
// PAD SPACE collation (for grouping and DISTINCT).
std::string_view canonical_weight(std::string_view field) noexcept;

// An exact decimal number: sign, digits and scale (digits after the point).
class decimal {
 public:
  decimal() = default;
  // Reads "-123.4500", "7", ".5"; false for anything else (exponents, text).
  [[nodiscard]] bool parse(std::string_view text);
  static decimal from_uint(std::uint64_t v);
  void add(const decimal& other);
  // this / n, rounded half away from zero to `scale` digits (MySQL's decimal division).
  decimal divide(std::uint64_t n, int scale) const;
  // Rounded (half away from zero) or zero-padded to `scale` digits after the point.
  std::string to_string(int scale) const;
  int compare(const decimal& other) const noexcept;
  bool is_zero() const noexcept;

 private:
  void trim();
  bool negative_ = false;
  std::string digits_ = "0";  // most significant first; no leading zeros (except "0")
  int scale_ = 0;             // how many of digits_ are after the point
};

// Shortest round-trip text of a double as MySQL prints DOUBLE results (1e20, 1.5e-7, 0.1).
std::string format_double(double v);
[[nodiscard]] bool parse_double(std::string_view text, double& out) noexcept;

}  // namespace shardgate::merge
