// The asio vocabulary used by the I/O layers (not by proxy/protocol, which is pure).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace shardgate {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
template <typename T = void>
using awaitable = asio::awaitable<T>;

// Completion token for coroutines that get errors as values instead of exceptions.
inline constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

}  // namespace shardgate
