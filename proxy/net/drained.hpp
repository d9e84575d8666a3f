// Tells asio's epoll reactor that a socket's receive queue was just drained, so that its next
// asynchronous read waits for the reactor's edge instead of first trying a recv known to fail.
//
// Why: asio registers sockets edge-triggered and therefore starts every async_read_some with
// a recv, queueing the operation only when that recv fails with EAGAIN. For a proxy that is
// one failed syscall per wait: after ShardGate sends a statement to a backend the reply
// cannot be there yet, and after it sends the reply to a client the client's next command
// cannot be there yet. The reactor keeps a per-descriptor flag for this (`try_speculative_`,
// set again by every readiness report), but Boost 1.81 clears it only at end of file.
//
// The rule (nginx's with EPOLLRDHUP, ngx_unix_recv): a read that returned fewer bytes than
// it asked for took every byte there was at that instant, so any later byte raises a new
// edge, and the reactor sets the flag again when it reports that edge, before it performs
// the queued read. What a short read does not take is a close or reset already pending
// behind the bytes: those raise no further edge. So the descriptor is also registered for
// EPOLLRDHUP (watch_peer_close, once per socket), and a short read clears the flag only when
// the descriptor's last readiness report had none of EPOLLRDHUP, EPOLLHUP or EPOLLERR (a
// report not yet taken from the kernel comes later and sets the flag). Clearing happens on
// the socket's own thread right after the read, before the reactor runs again. The
// alternative, async_wait(wait_read), costs an epoll_ctl(MOD) per wait instead.
//
// The reactor's state is private: reached here with the standard explicit-instantiation
// access idiom, against the Boost version the build uses (checked at compile time). With
// the io_uring backend there is no such flag and these do nothing.
#pragma once

#include <boost/version.hpp>

#include "net/asio.hpp"

namespace shardgate::net {

// Registers the open socket for EPOLLRDHUP too (one epoll_ctl); without it mark_drained does
// nothing. False when the socket is not registered with the reactor.
bool watch_peer_close(tcp::socket& socket) noexcept;

// The socket's last read returned fewer bytes than its buffer held (plain TCP only; a TLS
// stream reads through OpenSSL's own buffer). This socket's thread only.
void mark_drained(tcp::socket& socket) noexcept;

// Whether the next read of `socket` will first try a recv (for tests).
bool will_try_speculative_read(tcp::socket& socket) noexcept;

}  // namespace shardgate::net
