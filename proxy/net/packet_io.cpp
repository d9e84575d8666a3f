#include "net/packet_io.hpp"

#include "net/drained.hpp"
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

awaitable<error_code> read_some(stream& sock, read_buffer& buf, std::size_t min_free) {
  buf.reserve_free(min_free);
  auto [ec, n] = co_await sock.read_some(asio::buffer(buf.write_ptr(), buf.free_space()));
  if (!ec) buf.commit(n);
  co_return ec;
}

awaitable<error_code> read_packet(stream& sock, read_buffer& buf, protocol::bytes& payload,
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

awaitable<error_code> buffer_first_frame(stream& sock, read_buffer& buf) {
  for (;;) {
    if (buf.size() >= protocol::frame_header_size) {
      const auto h = protocol::decode_frame_header(buf.data());
      if (buf.size() >= protocol::frame_header_size + h.length) co_return error_code{};
    }
    if (error_code ec = co_await read_some(sock, buf)) co_return ec;
  }
}

awaitable<error_code> write_packet(stream& sock, protocol::bytes& scratch,
                                   protocol::byte_span payload, std::uint8_t& seq) {
  scratch.clear();
  protocol::append_packet(scratch, payload, seq);
  co_return co_await write_all(sock, scratch);
}

void tune_socket(tcp::socket& sock) {
  error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  sock.non_blocking(true, ignored);
  watch_peer_close(sock);  // (net/drained.hpp: lets a drained socket skip its failed recv)
}

}  // namespace shardgate::net
