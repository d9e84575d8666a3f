// COM_STMT_* requests: byte vectors as MariaDB Connector/C and mysql2 send them.
#include "protocol/prepared_statement.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "protocol/binary_row.hpp"

namespace shardgate::protocol {
namespace {

bytes execute_packet(std::uint32_t id, std::uint8_t flags,
                     std::initializer_list<std::uint8_t> rest) {
  bytes b{0x17};
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(id >> (8 * i)));
  b.push_back(flags);
  b.insert(b.end(), {1, 0, 0, 0});
  b.insert(b.end(), rest);
  return b;
}

std::string literal(const bound_param& p, bool nbe = false) {
  std::string s;
  EXPECT_TRUE(append_literal(s, p, nbe));
  return s;
}

bound_param param(column_type t, std::initializer_list<std::uint8_t> v, std::uint8_t flags = 0) {
  static std::vector<bytes> keep;  // values outlive the span
  keep.emplace_back(v);
  bound_param p;
  p.type = static_cast<std::uint8_t>(t);
  p.type_flags = flags;
  p.value = keep.back();
  return p;
}

TEST(PrepareOk, RoundTripsAndReadsWithoutWarnings) {
  bytes b;
  encode_prepare_ok(b, {0x01020304, 3, 2, 1});
  EXPECT_EQ(b, (bytes{0x00, 4, 3, 2, 1, 3, 0, 2, 0, 0, 1, 0}));
  prepare_ok ok;
  ASSERT_TRUE(decode_prepare_ok(b, ok));
  EXPECT_EQ(ok.statement_id, 0x01020304u);
  EXPECT_EQ(ok.columns, 3);
  EXPECT_EQ(ok.params, 2);
  EXPECT_EQ(ok.warnings, 1);
  const bytes short_form{0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0};  // no warning count
  ASSERT_TRUE(decode_prepare_ok(short_form, ok));
  EXPECT_EQ(ok.warnings, 0);
  EXPECT_FALSE(decode_prepare_ok(bytes{0x00, 1, 0}, ok));
  EXPECT_FALSE(decode_prepare_ok(bytes{0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0}, ok));
}

TEST(Execute, DecodesTypesNullsAndValues) {
  // Two parameters: the second NULL; types LONGLONG and VAR_STRING; value 7; bound.
  const bytes b = execute_packet(5, 0, {0x02, 1, 0x08, 0x00, 0xfd, 0x00, 7, 0, 0, 0, 0, 0, 0, 0});
  execute_request req;
  ASSERT_TRUE(decode_execute(b, 2, req));
  EXPECT_EQ(req.statement_id, 5u);
  EXPECT_TRUE(req.new_params_bound);
  ASSERT_EQ(req.types.size(), 4u);
  std::vector<bound_param> params;
  ASSERT_TRUE(split_params(req, req.types, {}, params));
  ASSERT_EQ(params.size(), 2u);
  EXPECT_FALSE(params[0].is_null);
  EXPECT_EQ(literal(params[0]), "7");
  EXPECT_TRUE(params[1].is_null);
  EXPECT_EQ(literal(params[1]), "NULL");
}

TEST(Execute, WithoutTypesUsesTheOnesBoundBefore) {
  const bytes b = execute_packet(5, 0, {0x00, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  execute_request req;
  ASSERT_TRUE(decode_execute(b, 1, req));
  EXPECT_FALSE(req.new_params_bound);
  const bytes types{0x08, 0x00};
  std::vector<bound_param> params;
  ASSERT_TRUE(split_params(req, types, {}, params));
  EXPECT_EQ(literal(params[0]), "-2");
  const bytes unsigned_types{0x08, 0x80};
  ASSERT_TRUE(split_params(req, unsigned_types, {}, params));
  EXPECT_EQ(literal(params[0]), "18446744073709551614");
}

TEST(Execute, MalformedPacketsAreRejected) {
  execute_request req;
  std::vector<bound_param> params;
  EXPECT_FALSE(decode_execute(bytes{0x17, 1, 0}, 0, req));                   // truncated header
  EXPECT_FALSE(decode_execute(execute_packet(1, 0, {}), 3, req));            // no null bitmap
  EXPECT_FALSE(decode_execute(execute_packet(1, 0, {0, 1, 0x08}), 1, req));  // half the types
  // A value that overruns the packet; a string whose length overruns it; an unknown type.
  const bytes overrun = execute_packet(1, 0, {0, 1, 0x08, 0, 1, 2});
  const bytes long_string = execute_packet(1, 0, {0, 1, 0xfd, 0, 9, 'a'});
  const bytes unknown = execute_packet(1, 0, {0, 1, 0x42, 0, 1});
  for (const bytes* b : {&overrun, &long_string, &unknown}) {
    ASSERT_TRUE(decode_execute(*b, 1, req));
    EXPECT_FALSE(split_params(req, req.types, {}, params));
  }
}

TEST(Execute, LongDataParametersAreNotInThePacket) {
  // Parameter 0 came as long data; parameter 1 (TINY 9) is the only value in the packet.
  const bytes b = execute_packet(1, 0, {0x00, 1, 0xfc, 0, 0x01, 0, 9});
  execute_request req;
  ASSERT_TRUE(decode_execute(b, 2, req));
  const std::string blob("a'b\\c", 5);
  const std::string* long_data[] = {&blob, nullptr};
  std::vector<bound_param> params;
  ASSERT_TRUE(split_params(req, req.types, long_data, params));
  EXPECT_TRUE(params[0].long_data);
  EXPECT_EQ(literal(params[0]), "X'6127625C63'");
  EXPECT_EQ(literal(params[1]), "9");
}

TEST(Execute, ReencodedAlwaysBindsTypesAndDropsCursors) {
  const bytes b = execute_packet(5, 0x01, {0x00, 0, 0x2a, 0, 0, 0});
  execute_request req;
  ASSERT_TRUE(decode_execute(b, 1, req));
  const bytes types{0x03, 0x00};
  bytes out;
  encode_execute(out, 77, req, types, 1, false);
  EXPECT_EQ(out, (bytes{0x17, 77, 0, 0, 0, 0x00, 1, 0, 0, 0, 0x00, 1, 0x03, 0x00, 0x2a, 0, 0, 0}));
  // No parameters: no bitmap, no types.
  const bytes none = execute_packet(9, 0, {});
  ASSERT_TRUE(decode_execute(none, 0, req));
  out.clear();
  encode_execute(out, 3, req, {}, 0, true);
  EXPECT_EQ(out, (bytes{0x17, 3, 0, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(command_statement_id(out), 3u);
}

TEST(Literal, Numbers) {
  EXPECT_EQ(literal(param(column_type::tiny, {0xff})), "-1");
  EXPECT_EQ(literal(param(column_type::tiny, {0xff}, param_unsigned)), "255");
  EXPECT_EQ(literal(param(column_type::short_, {0x00, 0x80})), "-32768");
  EXPECT_EQ(literal(param(column_type::long_, {0xff, 0xff, 0xff, 0x7f})), "2147483647");
  double d = 5;
  bytes v(8);
  std::memcpy(v.data(), &d, 8);
  bound_param p;
  p.type = static_cast<std::uint8_t>(column_type::double_);
  p.value = v;
  EXPECT_EQ(literal(p), "5e0");  // a DOUBLE literal, not an integer
  d = 0.1;
  std::memcpy(v.data(), &d, 8);
  EXPECT_EQ(literal(p), "0.10000000000000001e0");
  d = 1e300;
  std::memcpy(v.data(), &d, 8);
  EXPECT_EQ(literal(p), "1.0000000000000001e+300");
  d = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(v.data(), &d, 8);
  std::string s;
  EXPECT_FALSE(append_literal(s, p, false));
  EXPECT_EQ(literal(param(column_type::newdecimal, {'-', '1', '.', '5'})), "-1.5");
  EXPECT_EQ(literal(param(column_type::newdecimal, {'1', 'x'})), "'1x'");
}

TEST(Literal, TextIsQuotedAsTheSessionReadsStrings) {
  const auto p = param(column_type::var_string, {'a', '\'', '\\', 0, 'b'});
  EXPECT_EQ(literal(p), std::string("'a''\\\\\\0b'"));
  EXPECT_EQ(literal(p, true), std::string("'a''\\\0b'", 8));  // NO_BACKSLASH_ESCAPES
  EXPECT_EQ(literal(param(column_type::blob, {0x00, 0xff})), "X'00FF'");
  EXPECT_EQ(literal(param(column_type::string, {})), "''");
}

TEST(Literal, Temporals) {
  EXPECT_EQ(literal(param(column_type::date, {0xea, 0x07, 12, 1})), "'2026-12-01'");
  EXPECT_EQ(literal(param(column_type::date, {})), "'0000-00-00'");
  EXPECT_EQ(literal(param(column_type::datetime, {0xea, 0x07, 12, 1, 23, 59, 58})),
            "'2026-12-01 23:59:58'");
  EXPECT_EQ(
      literal(param(column_type::datetime, {0xea, 0x07, 12, 1, 0, 0, 0, 0xa0, 0x86, 0x01, 0})),
      "'2026-12-01 00:00:00.100000'");
  EXPECT_EQ(literal(param(column_type::time, {1, 2, 0, 0, 0, 3, 4, 5})), "'-51:04:05'");
  EXPECT_EQ(literal(param(column_type::time, {0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0})),
            "'0:00:01.000001'");
  std::string s;
  EXPECT_FALSE(append_literal(s, param(column_type::datetime, {1, 2, 3}), false));
}

TEST(LongData, RoundTrips) {
  bytes b;
  encode_long_data(b, 7, 2, "xyz");
  long_data_request req;
  ASSERT_TRUE(decode_long_data(b, req));
  EXPECT_EQ(req.statement_id, 7u);
  EXPECT_EQ(req.param, 2);
  EXPECT_EQ(as_string_view(req.data), "xyz");
  EXPECT_FALSE(decode_long_data(bytes{0x18, 1, 0, 0}, req));
}

// ---- binary rows made from text rows -------------------------------------------------

column_definition col(column_type t, std::uint16_t flags = 0) {
  column_definition c;
  c.type = t;
  c.flags = flags;
  return c;
}

TEST(BinaryRow, EncodesEachTypeAsTheServerDoes) {
  const std::vector<column_definition> cols = {
      col(column_type::tiny),       col(column_type::longlong, column_unsigned_flag),
      col(column_type::var_string), col(column_type::null),
      col(column_type::double_),    col(column_type::datetime),
      col(column_type::time),       col(column_type::date),
      col(column_type::newdecimal)};
  text_row row = {"-1",  "18446744073709551615",       "ab",        std::nullopt,
                  "0.5", "2026-12-01 10:11:12.000500", "-25:00:01", "0000-00-00",
                  "1.50"};
  bytes out;
  ASSERT_TRUE(encode_binary_row(out, row, cols));
  const bytes want = {
      0x00, 0x20, 0x00,                                // NULL bitmap (offset 2): column 3
      0xff,                                            // tiny -1
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // unsigned max
      2,    'a',  'b',                                 // string
      0,    0,    0,    0,    0,    0,    0xe0, 0x3f,  // 0.5
      11,   0xea, 0x07, 12,   1,    10,   11,   12,   0xf4, 0x01, 0, 0,  // datetime with micro 500
      8,    1,    1,    0,    0,    0,    1,    0,    1,                 // -25:00:01 = 1 day 1 hour
      0,                                                                 // zero date
      4,    '1',  '.',  '5',  '0'};
  EXPECT_EQ(out, want);
}

TEST(BinaryRow, RejectsValuesThatDoNotReadAsTheType) {
  bytes out;
  const std::vector<column_definition> ints = {col(column_type::long_)};
  EXPECT_FALSE(encode_binary_row(out, text_row{"12a"}, ints));
  const std::vector<column_definition> dates = {col(column_type::date)};
  out.clear();
  EXPECT_FALSE(encode_binary_row(out, text_row{"2026/12/01"}, dates));
  const std::vector<column_definition> times = {col(column_type::time)};
  out.clear();
  EXPECT_FALSE(encode_binary_row(out, text_row{"1:2"}, times));
}

}  // namespace
}  // namespace shardgate::protocol
