#include "net/drained.hpp"

#include <sys/epoll.h>

#include <cstdint>

#if !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && defined(BOOST_ASIO_HAS_EPOLL)
#define SHARDGATE_EPOLL_FLAG 1
#endif

namespace shardgate::net {

#ifdef SHARDGATE_EPOLL_FLAG
static_assert(BOOST_VERSION / 100 == 1081,
              "net/drained.cpp reaches asio's epoll_reactor internals as of Boost 1.81: check "
              "descriptor_state::try_speculative_ and basic_socket::impl_ before changing Boost");

namespace {

using reactor = asio::detail::epoll_reactor;
using descriptor_state = reactor::descriptor_state;
using speculative_flags = bool[reactor::max_ops];

// The explicit-instantiation access idiom: an explicit instantiation may name private
// members ([temp.spec.general]/6); the friend function defined inside it hands the member
// pointer out.
template <typename Tag, typename Tag::type M>
struct expose {
  friend typename Tag::type member(Tag) { return M; }
};
struct try_speculative_tag {
  using type = speculative_flags descriptor_state::*;
  friend type member(try_speculative_tag);
};
struct registered_events_tag {
  using type = std::uint32_t descriptor_state::*;
  friend type member(registered_events_tag);
};
struct descriptor_tag {
  using type = int descriptor_state::*;
  friend type member(descriptor_tag);
};
struct reactor_tag {
  using type = reactor* descriptor_state::*;
  friend type member(reactor_tag);
};
struct epoll_fd_tag {
  using type = int reactor::*;
  friend type member(epoll_fd_tag);
};
struct ready_events_tag {  // the events of the descriptor's last readiness report
  using type = unsigned int asio::detail::scheduler_operation::*;
  friend type member(ready_events_tag);
};
template struct expose<try_speculative_tag, &descriptor_state::try_speculative_>;
template struct expose<registered_events_tag, &descriptor_state::registered_events_>;
template struct expose<descriptor_tag, &descriptor_state::descriptor_>;
template struct expose<reactor_tag, &descriptor_state::reactor_>;
template struct expose<epoll_fd_tag, &reactor::epoll_fd_>;
template struct expose<ready_events_tag, &asio::detail::scheduler_operation::task_result_>;

// basic_socket::impl_ is protected: a derived class may form a pointer to it.
struct socket_access : tcp::socket {
  static auto impl_member() { return &socket_access::impl_; }
};

descriptor_state* state_of(tcp::socket& socket) noexcept {
  auto& impl = socket.*socket_access::impl_member();
  return impl.get_implementation().reactor_data_;
}

unsigned int last_ready_events(descriptor_state* state) noexcept {
  // (descriptor_state derives privately from scheduler_operation; a C-style cast may name a
  // private base.)
  auto* op = (asio::detail::scheduler_operation*)state;  // NOLINT(google-readability-casting)
  return op->*member(ready_events_tag{});
}

}  // namespace

bool watch_peer_close(tcp::socket& socket) noexcept {
  descriptor_state* state = state_of(socket);
  if (!state) return false;
  std::uint32_t& registered = state->*member(registered_events_tag{});
  if (registered == 0) return false;  // not a pollable descriptor
  if (registered & EPOLLRDHUP) return true;
  epoll_event ev{};
  ev.events = registered | EPOLLRDHUP;
  ev.data.ptr = state;
  const int epoll_fd = (state->*member(reactor_tag{}))->*member(epoll_fd_tag{});
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, state->*member(descriptor_tag{}), &ev) != 0)
    return false;
  registered = ev.events;  // (asio adds EPOLLOUT to this set later, keeping EPOLLRDHUP)
  return true;
}

void mark_drained(tcp::socket& socket) noexcept {
  descriptor_state* state = state_of(socket);
  if (!state) return;
  if (!(state->*member(registered_events_tag{}) & EPOLLRDHUP)) return;
  // A close, reset or error already reported stays pending behind the bytes just read, and
  // no further edge will come for it: the next read must try.
  if (last_ready_events(state) & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) return;
  (state->*member(try_speculative_tag{}))[reactor::read_op] = false;
}

bool will_try_speculative_read(tcp::socket& socket) noexcept {
  descriptor_state* state = state_of(socket);
  return state && (state->*member(try_speculative_tag{}))[reactor::read_op];
}
#else
bool watch_peer_close(tcp::socket&) noexcept {
  return false;
}
void mark_drained(tcp::socket&) noexcept {}
bool will_try_speculative_read(tcp::socket&) noexcept {
  return true;
}
#endif

}  // namespace shardgate::net
