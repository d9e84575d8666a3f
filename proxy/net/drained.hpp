// Tells asio's epoll reactor that a socket's receive queue was just drained, so that its next
// asynchronous read waits for the reactor's edge instead of first trying a recv known to fail.
//
// Why: asio starts every async_read_some with a "speculative" recv and only queues the
// operation when that recv fails with EAGAIN. For a proxy that is one failed syscall per
// wait: after ShardGate sends a statement to a backend the reply cannot be there yet, and
// after it sends the reply to a client the client's next command cannot be there yet. The
// reactor keeps a per-descriptor flag for this (`try_speculative_`), set again by every
// readiness event, but Boost 1.81 clears it only at end of file. A read that returned fewer
// bytes than it asked for has drained the socket at that instant; any byte arriving later
// raises a new edge (the descriptor is registered edge-triggered for EPOLLIN from the start),
// and the reactor sets the flag again when it sees that edge, before it performs the queued
// read. So clearing the flag right after a short read (on the socket's own thread, before
// the reactor runs again) loses nothing: at worst a later read tries once and fails, as
// today. The alternative, async_wait(wait_read), costs an epoll_ctl(MOD) per wait instead.
//
// The flag is private to asio's reactor: reached here with the standard explicit-
// instantiation access idiom, against the Boost version the build uses (checked at compile
// time below). With the io_uring backend there is no such flag and this does nothing.
#pragma once

#include <boost/version.hpp>

#include "net/asio.hpp"

namespace shardgate::net {

// The socket's last read returned fewer bytes than its buffer held (plain TCP only; a TLS
// stream reads through OpenSSL's own buffer). This socket's thread only.
void mark_drained(tcp::socket& socket) noexcept;

// Whether the next read of `socket` will first try a recv (for tests).
bool will_try_speculative_read(tcp::socket& socket) noexcept;

}  // namespace shardgate::net
