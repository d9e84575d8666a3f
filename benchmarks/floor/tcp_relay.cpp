// tcp_relay: the physical floor of any TCP proxy on this machine. It relays bytes between
// each client and its own backend connection - one read and one write per message, no
// parsing, no pooling, no session state - with one epoll loop per thread (SO_REUSEPORT).
// ShardGate does the same system calls per statement, so the gap between the two is what
// ShardGate's own work costs. Benchmark use only (benchmarks/passthrough.py --floor).
//
//   tcp_relay LISTEN_PORT BACKEND_PORT [THREADS]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

int backend_port = 0;

void tune(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Writes everything; small messages never block on loopback, big ones wait briefly.
bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= static_cast<size_t>(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      usleep(50);
    } else {
      return false;
    }
  }
  return true;
}

void loop(int listen_port) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in a = loopback(listen_port);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) || listen(lfd, 1024)) {
    perror("tcp_relay: bind/listen");
    std::exit(1);
  }
  int ep = epoll_create1(0);
  epoll_event ev{EPOLLIN, {.fd = lfd}};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::unordered_map<int, int> peer;
  std::vector<char> buf(1 << 16);
  epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int c = accept(lfd, nullptr, nullptr);
        if (c < 0) continue;
        int b = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in ba = loopback(backend_port);
        if (connect(b, reinterpret_cast<sockaddr*>(&ba), sizeof ba)) {
          close(c);
          close(b);
          continue;
        }
        tune(c);
        tune(b);
        peer[c] = b;
        peer[b] = c;
        epoll_event ec{EPOLLIN, {.fd = c}}, eb{EPOLLIN, {.fd = b}};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ec);
        epoll_ctl(ep, EPOLL_CTL_ADD, b, &eb);
        continue;
      }
      auto it = peer.find(fd);
      if (it == peer.end()) continue;
      ssize_t r = recv(fd, buf.data(), buf.size(), 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0 || !write_all(it->second, buf.data(), static_cast<size_t>(r))) {
        int other = it->second;
        close(fd);
        close(other);
        peer.erase(fd);
        peer.erase(other);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tcp_relay LISTEN_PORT BACKEND_PORT [THREADS]\n");
    return 2;
  }
  const int listen_port = std::atoi(argv[1]);
  backend_port = std::atoi(argv[2]);
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(loop, listen_port);
  for (auto& t : pool) t.join();
}
