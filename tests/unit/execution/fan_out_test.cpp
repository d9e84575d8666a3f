// fan-out (send_to_all, collect_replies): the statement reaches every shard before any
// reply is read, each shard's OK or ERR is read back, and a shard that is gone is marked
// lost - over real loopback sockets.
#include "execution/fan_out.hpp"

#include "loopback.hpp"
#include "protocol/constants.hpp"
#include "protocol/generic_response.hpp"

namespace shardgate::execution {
namespace {

using namespace protocol;
using testing::fake_shard;

constexpr std::uint32_t caps = cap::protocol_41 | cap::transactions;

bytes ok(std::uint64_t affected, std::uint64_t id, std::string_view info) {
  bytes p;
  ok_packet o;
  o.affected_rows = affected;
  o.last_insert_id = id;
  o.status = status::autocommit;
  o.info = info;
  encode_ok(p, o, caps);
  return p;
}

TEST(fan_out, every_shard_gets_its_text_and_answers) {
  asio::io_context io;
  fake_shard a(io, "s0", caps), b(io, "s1", caps), c(io, "s2", caps);
  std::vector<fan_leg> legs(3);
  legs[0].conn = &a.conn;
  legs[0].sql = "UPDATE t SET x = 1 WHERE k IN (1, 4)";
  legs[1].conn = &b.conn;
  legs[1].sql = "UPDATE t SET x = 1 WHERE k IN (2)";
  legs[2].conn = &c.conn;
  legs[2].sql = "UPDATE t SET x = 1 WHERE k IN (3)";
  testing::run(io, send_to_all(legs));
  for (auto* s : {&a, &b, &c}) {
    std::uint8_t seq = 9;
    const bytes query = s->receive(&seq);
    EXPECT_EQ(seq, 0);
    EXPECT_EQ(query[0], static_cast<std::uint8_t>(command::query));
  }
  EXPECT_TRUE(legs[0].sent && legs[1].sent && legs[2].sent);
  a.send({ok(2, 0, "Rows matched: 2  Changed: 2  Warnings: 0")});
  bytes err;
  encode_error(err, mysql_error{1213, "40001", "Deadlock found"}, caps);
  b.send({err});
  c.send({ok(1, 0, "Rows matched: 1  Changed: 1  Warnings: 0")});
  std::vector<leg_reply> replies;
  testing::run(io, collect_replies(legs, replies));
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_TRUE(replies[0].ok);
  EXPECT_EQ(replies[0].affected_rows, 2u);
  EXPECT_FALSE(replies[1].ok);
  EXPECT_EQ(replies[1].error.code, 1213);
  EXPECT_EQ(replies[1].error.sql_state, "40001");
  EXPECT_FALSE(legs[1].lost);  // an ERR leaves the connection usable
  EXPECT_TRUE(replies[2].ok);
  EXPECT_EQ(combine_info(replies), "Rows matched: 3  Changed: 3  Warnings: 0");
}

TEST(fan_out, a_shard_that_is_gone_is_lost_and_named) {
  asio::io_context io;
  fake_shard a(io, "s0", caps), b(io, "s1", caps);
  std::vector<fan_leg> legs(2);
  legs[0].conn = &a.conn;
  legs[0].sql = "DELETE FROM t";
  legs[1].conn = &b.conn;
  legs[1].sql = "DELETE FROM t";
  testing::run(io, send_to_all(legs));
  (void)a.receive();
  (void)b.receive();
  a.send({ok(5, 0, "")});
  b.server.close();
  std::vector<leg_reply> replies;
  testing::run(io, collect_replies(legs, replies));
  EXPECT_TRUE(replies[0].ok);
  EXPECT_FALSE(replies[1].ok);
  EXPECT_TRUE(legs[1].lost);
  EXPECT_TRUE(b.conn.broken());
  EXPECT_EQ(replies[1].error.code, er::server_lost);
  EXPECT_NE(replies[1].error.message.find("s1"), std::string::npos);
}

}  // namespace
}  // namespace shardgate::execution
