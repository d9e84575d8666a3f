#include "net/drained.hpp"

#if !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && defined(BOOST_ASIO_HAS_EPOLL)
#define SHARDGATE_EPOLL_FLAG 1
#endif

namespace shardgate::net {

#ifdef SHARDGATE_EPOLL_FLAG
static_assert(BOOST_VERSION / 100 == 1081,
              "net/drained.cpp reaches asio's epoll_reactor internals as of Boost 1.81: check "
              "descriptor_state::try_speculative_ and basic_socket::impl_ before changing Boost");

namespace {

using descriptor_state = asio::detail::epoll_reactor::descriptor_state;
using speculative_flags = bool[asio::detail::epoll_reactor::max_ops];

// The explicit-instantiation access idiom: an explicit instantiation may name private
// members ([temp.spec.general]/6), and the friend function defined inside it hands the member
// pointer out.
struct try_speculative_tag {
  using type = speculative_flags descriptor_state::*;
  friend type member(try_speculative_tag);
};
template <typename Tag, typename Tag::type M>
struct expose {
  friend typename Tag::type member(Tag) { return M; }
};
template struct expose<try_speculative_tag, &descriptor_state::try_speculative_>;

// basic_socket::impl_ is protected: a derived class may form a pointer to it.
struct socket_access : tcp::socket {
  static auto impl_member() { return &socket_access::impl_; }
};

descriptor_state* state_of(tcp::socket& socket) noexcept {
  auto& impl = socket.*socket_access::impl_member();
  return impl.get_implementation().reactor_data_;
}

}  // namespace

void mark_drained(tcp::socket& socket) noexcept {
  if (descriptor_state* state = state_of(socket))
    (state->*member(try_speculative_tag{}))[asio::detail::epoll_reactor::read_op] = false;
}

bool will_try_speculative_read(tcp::socket& socket) noexcept {
  descriptor_state* state = state_of(socket);
  return state && (state->*member(try_speculative_tag{}))[asio::detail::epoll_reactor::read_op];
}
#else
void mark_drained(tcp::socket&) noexcept {}
bool will_try_speculative_read(tcp::socket&) noexcept { return true; }
#endif

}  // namespace shardgate::net
