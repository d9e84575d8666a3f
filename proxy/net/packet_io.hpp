// Packet I/O over a connection's stream (plain or TLS): reading whole logical packets into memory
// (commands, handshakes) and writing framed packets. The streaming path for results is in
// proxy/execution/forward_response.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "net/asio.hpp"
#include "net/read_buffer.hpp"
#include "net/stream.hpp"
#include "protocol/bytes.hpp"

namespace shardgate::net {

// Errors of this layer (beyond socket errors).
enum class io_errc { packet_too_large = 1, protocol_error, timed_out };
const boost::system::error_category& io_category() noexcept;
inline error_code make_error(io_errc e) {
  return {static_cast<int>(e), io_category()};
}

// Reads more bytes into `buf` (at least one), growing it to have `min_free` space.
awaitable<error_code> read_some(stream& sock, read_buffer& buf, std::size_t min_free = 4096);

// Bytes this thread exchanged with clients (for the metrics; worker threads only, read on
// the same thread).
struct client_traffic {
  std::uint64_t in = 0;
  std::uint64_t out = 0;
};
inline thread_local client_traffic traffic;

// Reads one logical packet (joining frames) into `payload`; `seq` gets the sequence id
// of its last frame. Fails with packet_too_large before buffering more than `max_payload`.
awaitable<error_code> read_packet(stream& sock, read_buffer& buf, protocol::bytes& payload,
                                  std::uint8_t& seq, std::size_t max_payload);

// Reads until `buf` holds the first frame of the reply whole, without consuming it (a
// caller looks at the reply's first packet before deciding how to pass it on).
awaitable<error_code> buffer_first_frame(stream& sock, read_buffer& buf);

// Frames `payload` starting at `seq` (advanced) and writes it; `scratch` is reused.
awaitable<error_code> write_packet(stream& sock, protocol::bytes& scratch,
                                   protocol::byte_span payload, std::uint8_t& seq);

inline awaitable<error_code> write_all(stream& sock, protocol::byte_span data) {
  return sock.write(data);
}

// Writes a gather list (see stream::write: a non-blocking send first on plain TCP); a peer
// that takes nothing for `timeout` fails the write with io_errc::timed_out.
inline awaitable<error_code> write_all(stream& sock, const std::vector<asio::const_buffer>& buffers,
                                       std::chrono::milliseconds timeout) {
  return sock.write(buffers, timeout);
}

// Sets TCP_NODELAY and the non-blocking mode every ShardGate socket uses, and registers it
// for EPOLLRDHUP (net/drained.hpp). Call it once the socket is open.
void tune_socket(tcp::socket& sock);

}  // namespace shardgate::net
