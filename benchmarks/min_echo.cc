// W3's reference: a minimal hand-written epoll echo server ("min_epoll").
// Level-triggered epoll, one EchoConnection per client (echo_socket.h),
// interest flipped between read and write for backpressure. Nothing else:
// the limit what any loop can do on this machine.
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"

namespace torsion::bench {
namespace {

class MinEpollEcho final : public EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> create(int stopFd) {
    auto listener = listenLoopback();
    if (!listener.ok()) return listener.status();
    std::unique_ptr<MinEpollEcho> self(new MinEpollEcho(*listener, stopFd));
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
        EchoConnection& conn = *it->second;
        const bool wanted = conn.wantsWrite();
        const auto result = wanted ? conn.onWritable() : conn.onReadable();
        if (result == EchoConnection::kClosed) {
          connections_.erase(it);  // close() drops it from the epoll set
        } else if (conn.wantsWrite() != wanted) {
          modify(fd, conn.wantsWrite() ? EPOLLOUT : EPOLLIN);
        }
      }
    }
  }

 private:
  MinEpollEcho(Listener listener, int stopFd)
      : listener_(listener), stopFd_(stopFd), epoll_(epoll_create1(EPOLL_CLOEXEC)) {}

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
      if (!watch(fd, EPOLLIN)) {
        close(fd);
        continue;
      }
      connections_[fd] = std::make_unique<EchoConnection>(fd);
    }
  }

  Listener listener_;
  int stopFd_;
  int epoll_;
  std::unordered_map<int, std::unique_ptr<EchoConnection>> connections_;
};

const bool kRegistered = registerEchoServer("min_epoll", &MinEpollEcho::create);

}  // namespace
}  // namespace torsion::bench
