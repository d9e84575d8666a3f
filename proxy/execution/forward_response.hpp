// Streams one command's response from a backend connection to a client, packet by
// packet: headers are parsed in the backend connection's read buffer, sequence ids are
// rewritten in place, unchanged packets (rows, column definitions) go out straight from
// that buffer with one gathered write per read, and only the small packets the
// response_translator changes are re-encoded. Memory stays bounded by the buffer, not
// by the resultset; a client that stops reading stops ShardGate reading the backend.
#pragma once

#include <chrono>
#include <cstdint>

#include "backend/backend_connection.hpp"
#include "net/asio.hpp"

namespace shardgate::execution {

enum class forward_status : std::uint8_t {
  complete,        // the whole response reached the client
  backend_lost,    // the backend connection failed mid-response
  client_lost,     // writing to the client failed
  protocol_error,  // the backend sent something that does not fit the protocol
};

struct forward_result {
  forward_status status = forward_status::complete;
  error_code ec;
};

// `translator` must have been start()ed; `client_seq` is the sequence id of the next
// packet to the client and is advanced. A client that reads nothing for `write_timeout`
// ends the response with client_lost (as MySQL's net_write_timeout does).
awaitable<forward_result> forward_response(backend::backend_connection& backend,
                                           net::stream& client, std::uint8_t& client_seq,
                                           std::chrono::milliseconds write_timeout);

}  // namespace shardgate::execution
