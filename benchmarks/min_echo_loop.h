// torsion/benchmarks/min_echo_loop.h: W3's reference, a minimal hand-written
// epoll echo server, written once for plain TCP ("min_epoll", min_echo.cc)
// and TLS ("min_epoll_tls", min_tls_echo.cc). Level-triggered epoll, one
// connection object per client, interest flipped between read and write for
// backpressure. Nothing else: the limit what any loop can do on this
// machine.
//
// A Connection is made from an accepted non-blocking descriptor (which it
// owns) by the `accept` function and offers what EchoConnection
// (echo_socket.h) does: fd(), onReadable(), onWritable(), wantsWrite(),
// with its Result kOpen/kClosed. A template, so the plain reference pays
// no indirect call per event.
//
//   registerEchoServer("min_epoll", [](int stopFd) {
//     return MinEpollEcho<EchoConnection>::create(
//         stopFd, [](int fd) { return std::make_unique<EchoConnection>(fd); });
//   });
#ifndef TORSION_BENCHMARKS_MIN_ECHO_LOOP_H_
#define TORSION_BENCHMARKS_MIN_ECHO_LOOP_H_

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"

namespace torsion::bench {

template <typename Connection>
class MinEpollEcho final : public EchoServer {
 public:
  // Makes the connection for an accepted descriptor; nullptr refuses it
  // (the descriptor is then closed here).
  using Accept = std::function<std::unique_ptr<Connection>(int fd)>;

  static absl::StatusOr<std::unique_ptr<EchoServer>> create(int stopFd, Accept accept) {
    auto listener = listenLoopback();
    if (!listener.ok()) return listener.status();
    std::unique_ptr<MinEpollEcho> self(
        new MinEpollEcho(*listener, stopFd, std::move(accept)));
    if (self->epoll_ < 0 || !self->watch(listener->fd, EPOLLIN) ||
        !self->watch(stopFd, EPOLLIN))
      return absl::InternalError(std::string("epoll setup failed: ") +
                                 std::strerror(errno));
    return std::unique_ptr<EchoServer>(std::move(self));
  }
  ~MinEpollEcho() override {
    connections_.clear();
    close(listener_.fd);
    close(epoll_);
  }

  int port() const override { return listener_.port; }

  absl::Status serve() override {
    epoll_event events[256];
    for (;;) {
      const int n = epoll_wait(epoll_, events, 256, -1);
      if (n < 0 && errno != EINTR)
        return absl::InternalError(std::string("epoll_wait: ") + std::strerror(errno));
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == stopFd_) return absl::OkStatus();
        if (fd == listener_.fd) {
          acceptAll();
          continue;
        }
        auto it = connections_.find(fd);
        if (it == connections_.end()) continue;
        Connection& conn = *it->second;
        const bool wanted = conn.wantsWrite();
        const auto result = wanted ? conn.onWritable() : conn.onReadable();
        if (result == Connection::kClosed) {
          connections_.erase(it);  // close() drops it from the epoll set
        } else if (conn.wantsWrite() != wanted) {
          modify(fd, conn.wantsWrite() ? EPOLLOUT : EPOLLIN);
        }
      }
    }
  }

 private:
  MinEpollEcho(Listener listener, int stopFd, Accept accept)
      : listener_(listener),
        stopFd_(stopFd),
        epoll_(epoll_create1(EPOLL_CLOEXEC)),
        accept_(std::move(accept)) {}

  bool watch(int fd, std::uint32_t events) {
    epoll_event ev{events, {.fd = fd}};
    return epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0;
  }
  void modify(int fd, std::uint32_t events) {
    epoll_event ev{events, {.fd = fd}};
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
  }
  void acceptAll() {
    for (int fd; (fd = acceptNonBlocking(listener_.fd)) >= 0;) {
      std::unique_ptr<Connection> conn = accept_(fd);
      if (conn == nullptr) {
        close(fd);
        continue;
      }
      if (!watch(fd, EPOLLIN)) continue;  // conn closes fd
      connections_[fd] = std::move(conn);
    }
  }

  Listener listener_;
  int stopFd_;
  int epoll_;
  Accept accept_;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_MIN_ECHO_LOOP_H_
