// Table-driven encode/decode of OK, ERR and EOF packets and of the connection-phase
// messages built from structs ({name, struct, capabilities, expected bytes}).
#include "protocol/generic_response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/constants.hpp"
#include "protocol/errors.hpp"
#include "protocol/handshake.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::protocol {
namespace {

constexpr std::uint32_t k41 = cap::protocol_41 | cap::transactions;
constexpr std::uint32_t kTrack = k41 | cap::session_track;

bytes b(std::initializer_list<int> v) {
  bytes out;
  for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}
bytes cat(bytes a, std::string_view s) {
  a.insert(a.end(), s.begin(), s.end());
  return a;
}

struct ok_case {
  const char* name;
  ok_packet ok;
  std::uint32_t caps;
  std::uint8_t header;
  bytes expected;
  bool decodes_back = true;  // false when the encoding drops information
};

TEST(ok_packet_encoding, table) {
  const std::string_view state("\x01\x05\x04shop", 7);
  const std::vector<ok_case> cases = {
      {"plain", {}, k41, 0x00, b({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})},
      {"affected_and_insert_id_lenenc",
       {251, 0x10000, status::autocommit, 3, {}, {}},
       k41,
       0x00,
       b({0x00, 0xfc, 0xfb, 0x00, 0xfd, 0x00, 0x00, 0x01, 0x02, 0x00, 0x03, 0x00})},
      {"deprecate_eof_terminator",
       {0, 0, status::autocommit, 0, {}, {}},
       k41 | cap::deprecate_eof,
       0xfe,
       b({0xfe, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00})},
      {"transactions_only_pre41",
       {1, 0, status::autocommit, 9, {}, {}},
       cap::transactions,
       0x00,
       b({0x00, 0x01, 0x00, 0x02, 0x00}),
       false},  // warnings are not on the wire
      {"neither_41_nor_transactions",
       {1, 2, status::autocommit, 0, {}, {}},
       0,
       0x00,
       b({0x00, 0x01, 0x02}),
       false},
      // Length-encoded even without CLIENT_SESSION_TRACK, as MariaDB and MySQL write it.
      {"info_untracked",
       {0, 0, 0, 0, "hi", {}},
       k41,
       0x00,
       cat(b({0, 0, 0, 0, 0, 0, 0, 0x02}), "hi")},
      {"info_tracked",
       {0, 0, 0, 0, "hi", {}},
       kTrack,
       0x00,
       cat(b({0, 0, 0, 0, 0, 0, 0, 0x02}), "hi")},
      {"tracked_state",
       {0, 0, status::autocommit | status::session_state_changed, 0, {}, state},
       kTrack,
       0x00,
       cat(b({0, 0, 0, 0x02, 0x40, 0, 0, 0x00, 0x07}), state)},
      {"state_flag_cleared_without_tracking",
       {0, 0, status::autocommit | status::session_state_changed, 0, {}, state},
       k41,
       0x00,
       b({0, 0, 0, 0x02, 0x00, 0, 0}),
       false},
      {"tracked_without_state_flag_drops_state",
       {0, 0, status::autocommit, 0, {}, state},
       kTrack,
       0x00,
       b({0, 0, 0, 0x02, 0x00, 0, 0}),
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    bytes out;
    encode_ok(out, c.ok, c.caps, c.header);
    EXPECT_EQ(out, c.expected);
    ok_packet back;
    ASSERT_TRUE(decode_ok(out, c.caps, back));
    if (c.decodes_back) {
      EXPECT_EQ(back.affected_rows, c.ok.affected_rows);
      EXPECT_EQ(back.last_insert_id, c.ok.last_insert_id);
      EXPECT_EQ(back.status, c.ok.status);
      EXPECT_EQ(back.warnings, c.ok.warnings);
      EXPECT_EQ(back.info, c.ok.info);
      EXPECT_EQ(back.session_state, c.ok.session_state);
    }
  }
}

TEST(ok_packet_decoding, rejects_bad_headers_and_trailing_bytes) {
  ok_packet ok;
  EXPECT_FALSE(decode_ok(b({0x01, 0, 0, 0, 0, 0, 0}), k41, ok));
  EXPECT_FALSE(decode_ok(b({0xff, 0, 0, 0, 0, 0, 0}), k41, ok));
  EXPECT_FALSE(decode_ok(b({0x00, 0xfb, 0, 0, 0, 0, 0}), k41, ok));  // NULL affected rows
  // Tracked OK without state flag: anything after the info is junk.
  EXPECT_FALSE(decode_ok(b({0, 0, 0, 0, 0, 0, 0, 0x00, 0x00}), kTrack, ok));
  EXPECT_TRUE(decode_ok(b({0, 0, 0, 0, 0, 0, 0, 0x00}), kTrack, ok));
  // Untracked: a length-encoded info is unwrapped; anything else is taken as string<EOF>.
  const bytes lenenc_info = cat(b({0, 0, 0, 0, 0, 0, 0, 0x02}), "hi");
  ASSERT_TRUE(decode_ok(lenenc_info, k41, ok));
  EXPECT_EQ(ok.info, "hi");
  const bytes raw_info = cat(b({0, 0, 0, 0, 0, 0, 0}), "hi");
  ASSERT_TRUE(decode_ok(raw_info, k41, ok));
  EXPECT_EQ(ok.info, "hi");
  const bytes short_lenenc = cat(b({0, 0, 0, 0, 0, 0, 0, 0x01}), "hi");
  ASSERT_TRUE(decode_ok(short_lenenc, k41, ok));
  EXPECT_EQ(ok.info, "\x01hi");
}

struct err_case {
  const char* name;
  err_packet err;
  std::uint32_t caps;
  bytes expected;
};

TEST(err_packet_encoding, table) {
  const std::vector<err_case> cases = {
      {"with_sqlstate",
       {1045, "28000", "denied"},
       k41,
       cat(b({0xff, 0x15, 0x04, '#', '2', '8', '0', '0', '0'}), "denied")},
      {"pre41_drops_sqlstate", {1045, "28000", "denied"}, 0, cat(b({0xff, 0x15, 0x04}), "denied")},
      {"empty_sqlstate", {1040, "", "too many"}, k41, cat(b({0xff, 0x10, 0x04}), "too many")},
      {"malformed_sqlstate_dropped", {1, "4200", "m"}, k41, cat(b({0xff, 0x01, 0x00}), "m")},
      {"empty_message",
       {2013, "HY000", ""},
       k41,
       b({0xff, 0xdd, 0x07, '#', 'H', 'Y', '0', '0', '0'})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    bytes out;
    encode_err(out, c.err, c.caps);
    EXPECT_EQ(out, c.expected);
    err_packet back;
    ASSERT_TRUE(decode_err(out, c.caps, back));
    EXPECT_EQ(back.code, c.err.code);
    EXPECT_EQ(back.message, c.err.message);
  }
}

TEST(err_packet_encoding, mysql_error_defaults_to_hy000) {
  mysql_error e;
  e.code = er::access_denied;
  e.message = "nope";
  bytes out;
  encode_error(out, e, k41);
  EXPECT_EQ(out, cat(b({0xff, 0x15, 0x04, '#', 'H', 'Y', '0', '0', '0'}), "nope"));
}

TEST(eof_packet_encoding, table) {
  struct eof_case {
    const char* name;
    eof_packet eof;
    bytes expected;
  };
  const std::vector<eof_case> cases = {
      {"zero", {0, 0}, b({0xfe, 0, 0, 0, 0})},
      {"warnings_and_status",
       {0x1234, status::more_results_exist | status::autocommit},
       b({0xfe, 0x34, 0x12, 0x0a, 0x00})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    bytes out;
    encode_eof(out, c.eof);
    EXPECT_EQ(out, c.expected);
    eof_packet back;
    ASSERT_TRUE(decode_eof(out, back));
    EXPECT_EQ(back.warnings, c.eof.warnings);
    EXPECT_EQ(back.status, c.eof.status);
  }
  eof_packet e;
  EXPECT_FALSE(decode_eof(b({0xfe, 0, 0, 0, 0, 0}), e));
}

TEST(handshake_encoding, greeting_round_trips) {
  handshake_v10 hs;
  hs.server_version = "10.11.19-ShardGate";
  hs.connection_id = 0x01020304;
  hs.auth_plugin_data = "abcdefghijklmnopqrst";
  hs.capabilities = cap::long_password | cap::protocol_41 | cap::secure_connection |
                    cap::plugin_auth | cap::transactions | cap::deprecate_eof;
  hs.collation = default_collation_id;
  hs.status = status::autocommit;
  hs.auth_plugin_name = std::string(native_password_plugin);
  bytes out;
  encode_handshake_v10(out, hs);
  handshake_v10 back;
  ASSERT_TRUE(decode_handshake_v10(out, back));
  EXPECT_EQ(back.server_version, hs.server_version);
  EXPECT_EQ(back.connection_id, hs.connection_id);
  EXPECT_EQ(back.auth_plugin_data, hs.auth_plugin_data);
  EXPECT_EQ(back.capabilities, hs.capabilities);
  EXPECT_EQ(back.collation, hs.collation);
  EXPECT_EQ(back.status, hs.status);
  EXPECT_EQ(back.auth_plugin_name, hs.auth_plugin_name);
  EXPECT_EQ(back.mariadb_capabilities, 0u);  // CLIENT_MYSQL set: no MariaDB extension
}

TEST(handshake_encoding, pre41_greeting_ends_after_capabilities) {
  // protocol 10, "4.0", connection id 1, scramble part 1, filler, capabilities (2 bytes only).
  const bytes pre41 = b({10,  '4', '.', '0', 0x00, 0x01, 0x00, 0x00, 0x00, '1',
                         '2', '3', '4', '5', '6',  '7',  '8',  0x00, 0x00, 0x02});
  handshake_v10 hs;
  ASSERT_TRUE(decode_handshake_v10(pre41, hs));
  EXPECT_EQ(hs.server_version, "4.0");
  EXPECT_EQ(hs.connection_id, 1u);
  EXPECT_EQ(hs.auth_plugin_data, "12345678");
  EXPECT_EQ(hs.capabilities, cap::protocol_41);
  EXPECT_EQ(hs.auth_plugin_name, "");
  EXPECT_FALSE(decode_handshake_v10(b({9, 'x', 0}), hs));  // protocol 9
}

TEST(handshake_encoding, response_variants_round_trip) {
  struct resp_case {
    const char* name;
    std::uint32_t caps;
  };
  const std::vector<resp_case> cases = {
      {"lenenc_auth", cap::protocol_41 | cap::plugin_auth_lenenc_client_data | cap::plugin_auth |
                          cap::connect_with_db | cap::connect_attrs | cap::secure_connection},
      {"one_byte_auth_len", cap::protocol_41 | cap::secure_connection | cap::connect_with_db},
      {"nul_terminated_auth", cap::protocol_41},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    handshake_response r;
    r.capabilities = c.caps;
    r.max_packet_size = 1 << 24;
    r.collation = 45;
    r.username = "app";
    r.auth_response = (c.caps & cap::secure_connection) ? std::string("\x01\x00\x02", 3) : "pw";
    if (c.caps & cap::connect_with_db) r.database = "shop";
    if (c.caps & cap::plugin_auth) r.auth_plugin_name = std::string(native_password_plugin);
    if (c.caps & cap::connect_attrs) r.attributes = {{"_client_name", "test"}, {"k", ""}};
    bytes out;
    encode_handshake_response(out, r);
    handshake_response back;
    ASSERT_TRUE(decode_handshake_response(out, back));
    EXPECT_EQ(back.capabilities, r.capabilities);
    EXPECT_EQ(back.max_packet_size, r.max_packet_size);
    EXPECT_EQ(back.collation, r.collation);
    EXPECT_EQ(back.username, r.username);
    EXPECT_EQ(back.auth_response, r.auth_response);
    EXPECT_EQ(back.database, r.database);
    EXPECT_EQ(back.auth_plugin_name, r.auth_plugin_name);
    EXPECT_EQ(back.attributes, r.attributes);
  }
}

TEST(handshake_encoding, attributes_longer_than_announced_fail) {
  handshake_response r;
  r.capabilities =
      cap::protocol_41 | cap::secure_connection | cap::plugin_auth | cap::connect_attrs;
  r.username = "u";
  r.auth_plugin_name = "p";
  r.attributes = {{"key", "value"}};
  bytes out;
  encode_handshake_response(out, r);
  // The attribute block is the last 11 bytes: total length 10, then "\x03key\x05value".
  ASSERT_EQ(out[out.size() - 11], 10);
  bytes longer = out;
  longer[longer.size() - 11] = 11;  // announces more than there is
  handshake_response back;
  EXPECT_FALSE(decode_handshake_response(longer, back));
  bytes inner = out;
  inner[inner.size() - 6] = 6;  // value length overruns the block
  EXPECT_FALSE(decode_handshake_response(inner, back));
}

TEST(resultset_encoding, column_definition_and_rows) {
  column_definition c;
  c.schema = "s";
  c.table = "t";
  c.org_table = "t";
  c.name = "n";
  c.org_name = "n";
  c.collation = 45;
  c.column_length = 0x01020304;
  c.type = column_type::longlong;
  c.flags = 0x0021;
  c.decimals = 2;
  bytes out;
  encode_column_definition(out, c);
  const bytes expected =
      b({0x03, 'd',  'e',  'f',  0x01, 's',  0x01, 't',  0x01, 't',  0x01, 'n',  0x01, 'n',
         0x0c, 0x2d, 0x00, 0x04, 0x03, 0x02, 0x01, 0x08, 0x21, 0x00, 0x02, 0x00, 0x00});
  EXPECT_EQ(out, expected);
  // COM_FIELD_LIST appends a default value: tolerated.
  bytes with_default = out;
  with_default.push_back(0xfb);
  column_definition back;
  EXPECT_TRUE(decode_column_definition(with_default, back));
  EXPECT_EQ(back.column_length, 0x01020304u);
  // A fixed-length field shorter than 12 is rejected.
  bytes short_fixed = out;
  short_fixed[14] = 0x0b;
  EXPECT_FALSE(decode_column_definition(short_fixed, back));

  const std::string long_cell(251, 'x');
  const text_row row = {std::string_view(""), std::nullopt, std::string_view(long_cell)};
  bytes r;
  encode_text_row(r, row);
  EXPECT_EQ(r.size(), 1u + 1u + 3u + 251u);
  text_row back_row;
  ASSERT_TRUE(decode_text_row(r, 3, back_row));
  ASSERT_EQ(back_row.size(), 3u);
  EXPECT_EQ(back_row[0], std::optional<std::string_view>(""));
  EXPECT_EQ(back_row[1], std::nullopt);
  EXPECT_EQ(back_row[2]->size(), 251u);
  EXPECT_TRUE(decode_text_row({}, 0, back_row));
  EXPECT_TRUE(back_row.empty());
}

}  // namespace
}  // namespace shardgate::protocol
