// route's streaming (forward_response): one shard's resultset reaches the client packet for
// packet with the client's sequence ids, the translator sees its end and status, and a
// backend that dies mid-reply is reported as lost - over real loopback sockets.
#include "execution/forward_response.hpp"

#include "loopback.hpp"
#include "merge/operators.hpp"
#include "protocol/constants.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::execution {
namespace {

using namespace protocol;
using testing::fake_shard;

bytes text_row_payload(const merge::owned_row& r) {
  bytes p;
  merge::encode_row(p, r, r.size());
  return p;
}

struct route_streaming : ::testing::Test {
  asio::io_context io;
  static constexpr std::uint32_t caps = cap::protocol_41 | cap::transactions;
  fake_shard shard{io, "s0", caps};
  tcp::socket client_peer{io};
  net::stream client{tcp::socket(io)};

  void SetUp() override {
    auto [a, b] = testing::socket_pair(io);
    client.socket() = std::move(a);
    client_peer = std::move(b);
  }
  std::vector<bytes> resultset() {
    bytes count;
    encode_column_count(count, 1);
    bytes def = {3, 'd', 'e', 'f', 0, 0, 0, 1, 'a', 0, 0x0c, 63, 0, 11, 0, 0, 0, 8, 0, 0, 0, 0, 0};
    bytes eof1, eof2;
    encode_eof(eof1, {0, status::autocommit});
    encode_eof(eof2, {0, status::autocommit | status::in_trans});
    return {count,
            def,
            eof1,
            text_row_payload({std::string("1")}),
            text_row_payload({std::string("two")}),
            eof2};
  }
  std::vector<std::pair<std::uint8_t, bytes>> client_reads(std::size_t packets) {
    std::vector<std::pair<std::uint8_t, bytes>> out;
    for (std::size_t i = 0; i < packets; ++i) {
      std::uint8_t header[4];
      asio::read(client_peer, asio::buffer(header));
      bytes p(header[0] | (header[1] << 8) | (header[2] << 16));
      asio::read(client_peer, asio::buffer(p));
      out.emplace_back(header[3], std::move(p));
    }
    return out;
  }
};

TEST_F(route_streaming, the_resultset_reaches_the_client_with_its_sequence_ids) {
  const auto packets = resultset();
  shard.send(packets, 1);
  shard.conn.translator().start(response_kind::query, caps, caps, status::autocommit);
  std::uint8_t seq = 7;  // (the client's numbering differs from the backend's)
  forward_result result;
  testing::run(io, [&]() -> awaitable<void> {
    result = co_await forward_response(shard.conn, client, seq, std::chrono::seconds(5));
  }());
  EXPECT_EQ(result.status, forward_status::complete);
  EXPECT_EQ(seq, 7 + packets.size());
  EXPECT_TRUE(shard.conn.translator().done());
  EXPECT_EQ(shard.conn.translator().status(), status::autocommit | status::in_trans);
  const auto got = client_reads(packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(got[i].first, 7 + i);
    EXPECT_EQ(got[i].second, packets[i]) << "packet " << i;
  }
}

TEST_F(route_streaming, an_error_reply_is_passed_on_and_recorded) {
  bytes err;
  encode_error(err, mysql_error{1146, "42S02", "Table 'shop.nope' doesn't exist"}, caps);
  shard.send({err}, 1);
  shard.conn.translator().start(response_kind::query, caps, caps, status::autocommit);
  std::uint8_t seq = 1;
  forward_result result;
  testing::run(io, [&]() -> awaitable<void> {
    result = co_await forward_response(shard.conn, client, seq, std::chrono::seconds(5));
  }());
  EXPECT_EQ(result.status, forward_status::complete);
  EXPECT_EQ(shard.conn.translator().error_code(), 1146);
  const auto got = client_reads(1);
  EXPECT_EQ(got[0].second, err);
}

TEST_F(route_streaming, a_backend_that_dies_mid_reply_is_lost) {
  auto packets = resultset();
  packets.resize(4);  // header and one row, then the connection closes
  shard.send(packets, 1);
  shard.server.close();
  shard.conn.translator().start(response_kind::query, caps, caps, status::autocommit);
  std::uint8_t seq = 1;
  forward_result result;
  testing::run(io, [&]() -> awaitable<void> {
    result = co_await forward_response(shard.conn, client, seq, std::chrono::seconds(5));
  }());
  EXPECT_EQ(result.status, forward_status::backend_lost);
  EXPECT_TRUE(shard.conn.translator().in_rows());  // (the session reports it at a row boundary)
}

}  // namespace
}  // namespace shardgate::execution
