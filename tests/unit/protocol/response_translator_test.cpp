// The response translator across the four DEPRECATE_EOF combinations and session tracking.
#include "protocol/response_translator.hpp"

#include <gtest/gtest.h>

#include "protocol/constants.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::protocol {
namespace {

constexpr std::uint32_t base = cap::protocol_41 | cap::transactions | cap::multi_results;

bytes ok_payload(std::uint16_t st, std::uint8_t header = 0x00, std::uint32_t caps = base) {
  bytes b;
  encode_ok(b, ok_packet{0, 0, st, 0, {}, {}}, caps, header);
  return b;
}
bytes eof_payload(std::uint16_t st) {
  bytes b;
  encode_eof(b, {0, st});
  return b;
}
bytes count_payload(std::uint64_t n) {
  bytes b;
  encode_column_count(b, n);
  return b;
}
bytes column_payload() {
  bytes b;
  column_definition c;
  c.name = "a";
  encode_column_definition(b, c);
  return b;
}
bytes row_payload() {
  bytes b;
  encode_text_row(b, {std::string_view("1")});
  return b;
}

struct step_result {
  packet_verdict verdict;
  bytes replacement;
};

step_result feed(response_translator& tr, const bytes& p) {
  step_result r;
  r.verdict = tr.on_packet(p.empty() ? 0 : p[0], p.size(), p, r.replacement);
  return r;
}

TEST(response_translator, ok_passes_through_between_equal_capabilities) {
  response_translator tr;
  tr.start(response_kind::query, base, base, status::autocommit);
  auto r = feed(tr, ok_payload(status::autocommit));
  EXPECT_EQ(r.verdict.action, packet_action::forward);
  EXPECT_TRUE(r.verdict.done);
  EXPECT_TRUE(tr.done());
  EXPECT_EQ(tr.status(), status::autocommit);
}

TEST(response_translator, deprecate_eof_backend_to_classic_client) {
  response_translator tr;
  const std::uint32_t backend = base | cap::deprecate_eof;
  tr.start(response_kind::query, backend, base, status::autocommit);
  EXPECT_EQ(feed(tr, count_payload(2)).verdict.action, packet_action::forward);
  EXPECT_EQ(feed(tr, column_payload()).verdict.action, packet_action::forward);
  auto last_col = feed(tr, column_payload());
  ASSERT_EQ(last_col.verdict.action, packet_action::forward_then_eof);
  EXPECT_EQ(last_col.replacement, eof_payload(status::autocommit));
  EXPECT_EQ(feed(tr, row_payload()).verdict.action, packet_action::forward);
  auto end = feed(tr, ok_payload(status::autocommit | status::in_trans, 0xfe, backend));
  ASSERT_EQ(end.verdict.action, packet_action::replace);
  EXPECT_EQ(end.replacement, eof_payload(status::autocommit | status::in_trans));
  EXPECT_TRUE(end.verdict.done);
  EXPECT_EQ(tr.status(), status::autocommit | status::in_trans);
}

TEST(response_translator, classic_backend_to_deprecate_eof_client) {
  response_translator tr;
  const std::uint32_t client = base | cap::deprecate_eof;
  tr.start(response_kind::query, base, client, status::autocommit);
  feed(tr, count_payload(1));
  EXPECT_EQ(feed(tr, column_payload()).verdict.action, packet_action::forward);
  EXPECT_EQ(feed(tr, eof_payload(status::autocommit)).verdict.action, packet_action::drop);
  feed(tr, row_payload());
  auto end = feed(tr, eof_payload(status::autocommit));
  ASSERT_EQ(end.verdict.action, packet_action::replace);
  EXPECT_EQ(end.replacement, ok_payload(status::autocommit, 0xfe, client));
  EXPECT_TRUE(end.verdict.done);
}

TEST(response_translator, both_deprecate_eof_pass_everything) {
  response_translator tr;
  const std::uint32_t caps = base | cap::deprecate_eof;
  tr.start(response_kind::query, caps, caps, status::autocommit);
  feed(tr, count_payload(1));
  EXPECT_EQ(feed(tr, column_payload()).verdict.action, packet_action::forward);
  EXPECT_EQ(feed(tr, row_payload()).verdict.action, packet_action::forward);
  auto end = feed(tr, ok_payload(status::autocommit, 0xfe, caps));
  EXPECT_EQ(end.verdict.action, packet_action::forward);
  EXPECT_TRUE(end.verdict.done);
}

TEST(response_translator, multi_results_continue_until_last) {
  response_translator tr;
  tr.start(response_kind::query, base, base, status::autocommit);
  auto first = feed(tr, ok_payload(status::autocommit | status::more_results_exist));
  EXPECT_FALSE(first.verdict.done);
  feed(tr, count_payload(1));
  feed(tr, column_payload());
  feed(tr, eof_payload(status::autocommit));
  feed(tr, row_payload());
  auto mid = feed(tr, eof_payload(status::autocommit | status::more_results_exist));
  EXPECT_FALSE(mid.verdict.done);
  auto last = feed(tr, ok_payload(status::autocommit));
  EXPECT_TRUE(last.verdict.done);
}

TEST(response_translator, error_ends_response_and_records_code) {
  response_translator tr;
  tr.start(response_kind::query, base, base, status::autocommit);
  bytes err;
  encode_err(err, {1064, "42000", "syntax"}, base);
  auto r = feed(tr, err);
  EXPECT_EQ(r.verdict.action, packet_action::forward);
  EXPECT_TRUE(r.verdict.done);
  EXPECT_EQ(tr.error_code(), 1064);
}

TEST(response_translator, session_state_is_reported_and_stripped_for_plain_clients) {
  struct recorder : session_state_visitor {
    std::string schema, var, value;
    void on_system_variable(std::string_view n, std::string_view v) override {
      var = n;
      value = v;
    }
    void on_schema(std::string_view s) override { schema = s; }
  } rec;
  const std::uint32_t backend = base | cap::session_track;
  bytes block;
  append_session_schema(block, "shop");
  append_session_variable(block, "autocommit", "OFF");
  bytes ok;
  encode_ok(ok, ok_packet{0, 0, status::session_state_changed, 0, {}, as_string_view(block)},
            backend);
  response_translator tr;
  tr.start(response_kind::query, backend, base, status::autocommit, &rec);
  auto r = feed(tr, ok);
  EXPECT_EQ(rec.schema, "shop");
  EXPECT_EQ(rec.var, "autocommit");
  EXPECT_EQ(rec.value, "OFF");
  ASSERT_EQ(r.verdict.action, packet_action::replace);
  EXPECT_EQ(r.replacement, ok_payload(0));  // status bit and block removed
}

TEST(response_translator, local_infile_request_is_a_protocol_error) {
  response_translator tr;
  tr.start(response_kind::query, base, base, status::autocommit);
  bytes p{0xfb, 'f', 'i', 'l', 'e'};
  EXPECT_TRUE(feed(tr, p).verdict.protocol_error);
}

TEST(response_translator, needs_payload_only_for_small_control_packets) {
  response_translator tr;
  tr.start(response_kind::query, base, base, status::autocommit);
  EXPECT_TRUE(tr.needs_payload(0x01, 1));  // column count
  feed(tr, count_payload(1));
  EXPECT_FALSE(tr.needs_payload(0x03, 40));  // column definition
  feed(tr, column_payload());
  feed(tr, eof_payload(status::autocommit));
  EXPECT_FALSE(tr.needs_payload(0x05, 100000));    // row
  EXPECT_FALSE(tr.needs_payload(0xfe, 0xffffff));  // a row whose first cell is >= 16 MiB
  EXPECT_TRUE(tr.needs_payload(0xfe, 5));          // EOF
}

}  // namespace
}  // namespace shardgate::protocol
