// net::stream's reads over a real loopback TCP connection: a short read marks the socket
// drained (the next read waits for the kernel's edge without a failed recv first), and no
// byte is ever left unread because of it.
#include "net/drained.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <string>

#include "net/packet_io.hpp"
#include "net/stream.hpp"

namespace shardgate::net {
namespace {

std::pair<tcp::socket, tcp::socket> socket_pair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  a.connect(acceptor.local_endpoint());
  acceptor.accept(b);
  tune_socket(a);
  return {std::move(a), std::move(b)};
}

struct read_result {
  error_code ec;
  std::string bytes;
};

// Starts one stream::read_some into a buffer of `size` bytes; `out` gets the result.
void start_read(asio::io_context& io, stream& s, std::size_t size,
                std::optional<read_result>& out) {
  asio::co_spawn(
      io,
      [&s, size, &out]() -> awaitable<void> {
        std::string buf(size, '\0');
        auto [ec, n] = co_await s.read_some(asio::buffer(buf.data(), buf.size()));
        out = read_result{ec, buf.substr(0, n)};
      },
      asio::detached);
}

std::optional<read_result> read_now(asio::io_context& io, stream& s, std::size_t size) {
  std::optional<read_result> out;
  start_read(io, s, size, out);
  io.restart();
  io.run_for(std::chrono::milliseconds(500));
  return out;
}

TEST(Drained, ShortReadMarksTheSocketDrainedAndTheNextEdgeStillDeliversTheBytes) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  asio::write(b, asio::buffer(std::string("hello")));
  // (The bytes are there before the read starts: the first read takes them at once.)
  auto r = read_now(io, s, 64);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ec);
  EXPECT_EQ(r->bytes, "hello");
  EXPECT_FALSE(will_try_speculative_read(s.socket()));

  // The next read waits (no recv); bytes written while it waits complete it.
  std::optional<read_result> next;
  start_read(io, s, 64, next);
  io.restart();
  io.poll();
  EXPECT_FALSE(next);
  asio::write(b, asio::buffer(std::string("world")));
  io.run_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->bytes, "world");
}

TEST(Drained, BytesArrivingBeforeTheNextReadStartsAreNotLost) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  asio::write(b, asio::buffer(std::string("one")));
  ASSERT_EQ(read_now(io, s, 64)->bytes, "one");
  ASSERT_FALSE(will_try_speculative_read(s.socket()));
  // Written while no read is pending and before the reactor looked again: the edge is
  // pending in the kernel, and the queued read takes the bytes when the reactor sees it.
  asio::write(b, asio::buffer(std::string("two")));
  auto r = read_now(io, s, 64);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes, "two");
  // Written, seen by the reactor with no read pending (it sets the flag again), then read.
  asio::write(b, asio::buffer(std::string("three")));
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  auto r3 = read_now(io, s, 64);
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->bytes, "three");
}

TEST(Drained, AFullReadLeavesTheNextReadSpeculative) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  asio::write(b, asio::buffer(std::string("0123456789")));
  auto r = read_now(io, s, 4);  // the buffer fills: more may be there
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes, "0123");
  EXPECT_TRUE(will_try_speculative_read(s.socket()));
  EXPECT_EQ(read_now(io, s, 4)->bytes, "4567");
  EXPECT_EQ(read_now(io, s, 64)->bytes, "89");
  EXPECT_FALSE(will_try_speculative_read(s.socket()));
}

TEST(Drained, EndOfFileAfterADrainedReadIsReported) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  asio::write(b, asio::buffer(std::string("last")));
  ASSERT_EQ(read_now(io, s, 64)->bytes, "last");
  b.close();
  auto r = read_now(io, s, 64);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ec, asio::error::eof);
}

// The peer's last bytes and its close arrive together, and the reactor reports both before
// the read starts: the short read must not hide the close that is still pending.
TEST(Drained, ACloseReportedWithTheLastBytesIsStillRead) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  asio::write(b, asio::buffer(std::string("bye")));
  b.close();
  io.restart();
  io.run_for(std::chrono::milliseconds(50));  // the reactor sees the edge, no read pending
  ASSERT_EQ(read_now(io, s, 64)->bytes, "bye");
  EXPECT_TRUE(will_try_speculative_read(s.socket()));
  auto r = read_now(io, s, 64);
  ASSERT_TRUE(r) << "the close was lost";
  EXPECT_EQ(r->ec, asio::error::eof);
}

TEST(Drained, AResetReportedWithTheLastBytesIsStillRead) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  asio::write(b, asio::buffer(std::string("bye")));
  b.set_option(asio::socket_base::linger(true, 0));  // close sends a reset
  b.close();
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  auto first = read_now(io, s, 64);
  ASSERT_TRUE(first);
  auto r = first->ec ? first : read_now(io, s, 64);
  ASSERT_TRUE(r) << "the reset was lost";
  EXPECT_TRUE(r->ec == asio::error::connection_reset || r->ec == asio::error::eof)
      << r->ec.message();
}

// The same while a read is pending: the reactor performs it with the bytes, the close comes
// in the same report.
TEST(Drained, ACloseInTheSameReportAsAPendingReadsBytesIsStillRead) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);
  stream s(std::move(a));
  std::optional<read_result> first;
  start_read(io, s, 64, first);
  io.restart();
  io.poll();
  ASSERT_FALSE(first);
  asio::write(b, asio::buffer(std::string("bye")));
  b.close();
  io.run_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->bytes, "bye");
  auto r = read_now(io, s, 64);
  ASSERT_TRUE(r) << "the close was lost";
  EXPECT_EQ(r->ec, asio::error::eof);
}

TEST(Drained, WatchPeerCloseRegistersOnce) {
  asio::io_context io(1);
  auto [a, b] = socket_pair(io);  // (tune_socket registered it already)
  EXPECT_TRUE(watch_peer_close(a));
  EXPECT_TRUE(watch_peer_close(a));
  tcp::socket closed(io);
  EXPECT_FALSE(watch_peer_close(closed));
}

}  // namespace
}  // namespace shardgate::net
