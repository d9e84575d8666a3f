// Text-protocol resultset messages: column count, ColumnDefinition41, text rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

enum class column_type : std::uint8_t {
  decimal = 0x00,
  tiny = 0x01,
  short_ = 0x02,
  long_ = 0x03,
  float_ = 0x04,
  double_ = 0x05,
  null = 0x06,
  timestamp = 0x07,
  longlong = 0x08,
  int24 = 0x09,
  date = 0x0a,
  time = 0x0b,
  datetime = 0x0c,
  year = 0x0d,
  newdate = 0x0e,
  varchar = 0x0f,
  bit = 0x10,
  json = 0xf5,
  newdecimal = 0xf6,
  enum_ = 0xf7,
  set = 0xf8,
  tiny_blob = 0xf9,
  medium_blob = 0xfa,
  long_blob = 0xfb,
  blob = 0xfc,
  var_string = 0xfd,
  string = 0xfe,
  geometry = 0xff,
};

struct column_definition {
  std::string_view catalog = "def";
  std::string_view schema;
  std::string_view table;
  std::string_view org_table;
  std::string_view name;
  std::string_view org_name;
  std::uint16_t collation = 0;
  std::uint32_t column_length = 0;
  column_type type = column_type::var_string;
  std::uint16_t flags = 0;
  std::uint8_t decimals = 0;
};

[[nodiscard]] bool decode_column_count(byte_span payload, std::uint64_t& count);
void encode_column_count(bytes& out, std::uint64_t count);

[[nodiscard]] bool decode_column_definition(byte_span payload, column_definition& out);
void encode_column_definition(bytes& out, const column_definition& col);

// A text row: one length-encoded string per column, 0xfb for NULL.
using text_row = std::vector<std::optional<std::string_view>>;
[[nodiscard]] bool decode_text_row(byte_span payload, std::size_t columns, text_row& out);
void encode_text_row(bytes& out, const text_row& row);

}  // namespace shardgate::protocol
