#include "server/client_channel.hpp"

#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/generic_response.hpp"

namespace shardgate::server {

using namespace protocol;

awaitable<bool> client_channel::send_packet(byte_span payload) {
  std::uint8_t s = next_seq();
  net::traffic.out += payload.size() + 4;
  error_code ec = co_await net::write_packet(stream, scratch_, payload, s);
  sent_up_to(s);
  co_return !ec;
}

awaitable<bool> client_channel::send_ok(std::uint16_t status) {
  out.clear();
  ok_packet ok;
  ok.status = status;
  encode_ok(out, ok, caps);
  co_return co_await send_packet(out);
}

awaitable<bool> client_channel::send_error(const mysql_error& err) {
  reply_error = err.code;
  if (metrics_on_.load(std::memory_order_relaxed)) metrics_.error(err.code);
  out.clear();
  encode_error(out, err, caps ? caps : cap::protocol_41);
  co_return co_await send_packet(out);
}

}  // namespace shardgate::server
