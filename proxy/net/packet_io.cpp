#include "net/packet_io.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "protocol/framing.hpp"

namespace shardgate::net {

namespace {
class io_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "shardgate.io"; }
  std::string message(int ev) const override {
    switch (static_cast<io_errc>(ev)) {
      case io_errc::packet_too_large:
        return "packet larger than max_packet_bytes";
      case io_errc::protocol_error:
        return "protocol error";
      case io_errc::timed_out:
        return "timed out";
    }
    return "unknown";
  }
};
}  // namespace

const boost::system::error_category& io_category() noexcept {
  static io_category_impl cat;
  return cat;
}

awaitable<error_code> read_some(tcp::socket& sock, read_buffer& buf, std::size_t min_free) {
  buf.reserve_free(min_free);
  auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf.write_ptr(), buf.free_space()),
                                               nothrow_awaitable);
  if (!ec) buf.commit(n);
  co_return ec;
}

awaitable<error_code> read_packet(tcp::socket& sock, read_buffer& buf, protocol::bytes& payload,
                                  std::uint8_t& seq, std::size_t max_payload) {
  for (;;) {
    bool too_large = false;
    auto extent = protocol::find_packet(buf.readable(), max_payload, too_large);
    if (too_large) co_return make_error(io_errc::packet_too_large);
    if (extent) {
      protocol::join_frames(buf.readable(), *extent, payload);
      seq = extent->last_seq;
      buf.consume(extent->wire_size);
      co_return error_code{};
    }
    // Read in larger steps once a big packet is on its way.
    std::size_t want = 4096;
    if (buf.size() >= protocol::frame_header_size) {
      auto h = protocol::decode_frame_header(buf.data());
      want = std::max<std::size_t>(want, std::min<std::size_t>(h.length + 8, 1u << 20));
    }
    if (error_code ec = co_await read_some(sock, buf, want)) co_return ec;
  }
}

awaitable<error_code> buffer_first_frame(tcp::socket& sock, read_buffer& buf) {
  for (;;) {
    if (buf.size() >= protocol::frame_header_size) {
      const auto h = protocol::decode_frame_header(buf.data());
      if (buf.size() >= protocol::frame_header_size + h.length) co_return error_code{};
    }
    if (error_code ec = co_await read_some(sock, buf)) co_return ec;
  }
}

awaitable<error_code> write_packet(tcp::socket& sock, protocol::bytes& scratch,
                                   protocol::byte_span payload, std::uint8_t& seq) {
  scratch.clear();
  protocol::append_packet(scratch, payload, seq);
  co_return co_await write_all(sock, scratch);
}

awaitable<error_code> write_all(tcp::socket& sock, protocol::byte_span data) {
  error_code ec;
  std::size_t sent = sock.send(asio::buffer(data.data(), data.size()), 0, ec);
  if (!ec && sent == data.size()) co_return ec;
  if (ec && ec != asio::error::would_block) co_return ec;
  data = data.subspan(ec ? 0 : sent);
  auto [wec, n] =
      co_await asio::async_write(sock, asio::buffer(data.data(), data.size()), nothrow_awaitable);
  (void)n;
  co_return wec;
}

awaitable<error_code> write_all(tcp::socket& sock, const std::vector<asio::const_buffer>& buffers,
                                std::chrono::milliseconds timeout) {
  error_code ec;
  std::size_t sent = sock.send(buffers, 0, ec);
  if (ec && ec != asio::error::would_block) co_return ec;
  if (ec) sent = 0;
  if (sent == asio::buffer_size(buffers)) co_return error_code{};
  // The kernel took part of it (the peer reads slowly): queue the rest, with a deadline.
  std::vector<asio::const_buffer> rest;
  for (const auto& b : buffers) {
    if (sent >= b.size()) {
      sent -= b.size();
      continue;
    }
    rest.push_back(b + sent);
    sent = 0;
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(sock.get_executor());
  deadline.expires_after(timeout);
  auto outcome = co_await (asio::async_write(sock, rest, nothrow_awaitable) ||
                           deadline.async_wait(nothrow_awaitable));
  if (outcome.index() == 1) co_return make_error(io_errc::timed_out);
  co_return std::get<0>(std::get<0>(outcome));
}

void tune_socket(tcp::socket& sock) {
  error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  sock.non_blocking(true, ignored);
}

}  // namespace shardgate::net
