// shard_rows, the plan's leaf: rows from a shard connection's read buffer as bytes arrive
// (need_input until a whole packet is there), the terminator's warnings, the shard's ERR
// named by shard, a malformed row and a second resultset.
#include "execution/shard_rows.hpp"

#include <cstring>

#include "fed_rows.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"

namespace shardgate::execution {
namespace {

using namespace protocol;
using testing::v;

struct shard_rows_leaf : ::testing::Test {
  asio::io_context io;
  backend::backend_connection be{io.get_executor()};
  backend::backend_target target;
  plan_context ctx;
  std::string name = "shard_b";
  std::uint8_t seq = 2;

  void SetUp() override {
    target.cluster = "shard_b";
    target.endpoint = {"127.0.0.1", 3307};
    be.set_target(target);
  }

  void arrive(const bytes& wire) {
    be.buffer().reserve_free(wire.size());
    std::memcpy(be.buffer().write_ptr(), wire.data(), wire.size());
    be.buffer().commit(wire.size());
  }
  bytes packet(const bytes& payload) {
    bytes wire;
    append_packet(wire, payload, seq);
    return wire;
  }
  bytes row(const merge::owned_row& r) {
    bytes p;
    merge::encode_row(p, r, r.size());
    return packet(p);
  }
  bytes eof(std::uint16_t warnings, std::uint16_t status_flags) {
    bytes p;
    encode_eof(p, {warnings, status_flags});
    return packet(p);
  }
};

TEST_F(shard_rows_leaf, rows_then_the_terminator_with_its_warnings) {
  be.set_capabilities(cap::protocol_41);
  shard_rows node(be, name, 3, ctx, 2, true);
  row_ref r;
  EXPECT_EQ(node.next(r), pull::need_input);
  EXPECT_EQ(ctx.waiting, 3);
  arrive(row({v("1"), std::nullopt}));
  ASSERT_EQ(node.next(r), pull::row);
  ASSERT_TRUE(r.fields);
  EXPECT_EQ((*r.fields)[0], std::optional<std::string_view>("1"));
  EXPECT_FALSE((*r.fields)[1]);
  // Half a packet: not yet.
  const bytes second = row({v("2"), v("two")});
  arrive(bytes(second.begin(), second.begin() + 5));
  EXPECT_EQ(node.next(r), pull::need_input);
  arrive(bytes(second.begin() + 5, second.end()));
  arrive(eof(3, status::autocommit));
  ASSERT_EQ(node.next(r), pull::row);
  EXPECT_EQ((*r.fields)[1], std::optional<std::string_view>("two"));
  EXPECT_EQ(node.next(r), pull::end);
  EXPECT_TRUE(node.done());
  EXPECT_FALSE(node.lost());
  EXPECT_EQ(ctx.warnings, 3u);
  EXPECT_EQ(be.status, status::autocommit);
  EXPECT_EQ(node.next(r), pull::end);
}

TEST_F(shard_rows_leaf, concatenation_forwards_rows_without_reading_their_fields) {
  be.set_capabilities(cap::protocol_41 | cap::deprecate_eof);
  shard_rows node(be, name, 0, ctx, 2, false);
  arrive(row({v("1"), v("x")}));
  bytes ok;
  ok_packet terminator;
  terminator.status = status::autocommit;
  terminator.warnings = 1;
  encode_ok(ok, terminator, be.capabilities(), eof_header);
  arrive(packet(ok));
  row_ref r;
  ASSERT_EQ(node.next(r), pull::row);
  EXPECT_EQ(r.fields, nullptr);
  bytes expected;
  merge::encode_row(expected, {v("1"), v("x")}, 2);
  EXPECT_EQ(bytes(r.payload.begin(), r.payload.end()), expected);
  EXPECT_EQ(node.next(r), pull::end);
  EXPECT_EQ(ctx.warnings, 1u);
}

TEST_F(shard_rows_leaf, the_shards_error_names_the_shard) {
  be.set_capabilities(cap::protocol_41);
  shard_rows node(be, name, 0, ctx, 1, true);
  bytes err;
  encode_error(err, mysql_error{1146, "42S02", "Table 'db.t' doesn't exist"}, cap::protocol_41);
  arrive(packet(err));
  row_ref r;
  EXPECT_EQ(node.next(r), pull::failed);
  EXPECT_TRUE(node.done());
  EXPECT_FALSE(node.lost());  // (the connection is fine)
  ASSERT_TRUE(ctx.failure);
  EXPECT_EQ(ctx.failure->code, 1146);
  EXPECT_NE(ctx.failure->message.find("shard_b"), std::string::npos);
}

TEST_F(shard_rows_leaf, a_malformed_row_gives_the_connection_up) {
  be.set_capabilities(cap::protocol_41);
  shard_rows node(be, name, 0, ctx, 3, true);  // rows must have 3 fields
  arrive(row({v("1")}));
  row_ref r;
  EXPECT_EQ(node.next(r), pull::failed);
  EXPECT_TRUE(node.lost());
  EXPECT_TRUE(be.broken());
  ASSERT_TRUE(ctx.failure);
  EXPECT_EQ(ctx.failure->code, er::server_lost);
  EXPECT_NE(ctx.failure->message.find("127.0.0.1:3307"), std::string::npos);
}

TEST_F(shard_rows_leaf, a_second_resultset_is_refused) {
  be.set_capabilities(cap::protocol_41);
  shard_rows node(be, name, 0, ctx, 1, true);
  arrive(eof(0, status::autocommit | status::more_results_exist));
  row_ref r;
  EXPECT_EQ(node.next(r), pull::failed);
  EXPECT_TRUE(node.lost());
  ASSERT_TRUE(ctx.failure);
  EXPECT_NE(ctx.failure->message.find("multiple results"), std::string::npos);
}

}  // namespace
}  // namespace shardgate::execution
