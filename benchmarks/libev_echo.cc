// W3 echo server on libev: an ev_io per connection over EchoConnection
// (echo_socket.h), its events flipped between EV_READ and EV_WRITE for
// backpressure; ev_break when the stop descriptor is readable.
#include <ev.h>
#include <unistd.h>

#include <memory>
#include <unordered_map>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"

namespace torsion::bench {
namespace {

class LibevEcho final : public EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> create(int stopFd) {
    auto listener = listenLoopback();
    if (!listener.ok()) return listener.status();
    struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
    if (loop == nullptr) {
      close(listener->fd);
      return absl::InternalError("ev_loop_new() failed");
    }
    return std::unique_ptr<EchoServer>(new LibevEcho(loop, *listener, stopFd));
  }
  ~LibevEcho() override {
    for (auto& [fd, conn] : connections_) ev_io_stop(loop_, &conn->watcher);
    connections_.clear();
    close(listener_.fd);
    ev_loop_destroy(loop_);
  }

  int port() const override { return listener_.port; }

  absl::Status serve() override {
    ev_run(loop_, 0);
    return absl::OkStatus();
  }

 private:
  struct Conn {
    explicit Conn(int fd) : echo(fd) {}
    ev_io watcher;
    EchoConnection echo;
  };

  LibevEcho(struct ev_loop* loop, Listener listener, int stopFd)
      : loop_(loop), listener_(listener) {
    ev_set_userdata(loop_, this);
    ev_io_init(&accept_, &onAccept, listener_.fd, EV_READ);
    ev_io_start(loop_, &accept_);
    ev_io_init(&stop_, &onStop, stopFd, EV_READ);
    ev_io_start(loop_, &stop_);
  }

  static LibevEcho& self(struct ev_loop* loop) {
    return *static_cast<LibevEcho*>(ev_userdata(loop));
  }
  static void onStop(struct ev_loop* loop, ev_io*, int) { ev_break(loop, EVBREAK_ALL); }
  static void onAccept(struct ev_loop* loop, ev_io*, int) {
    LibevEcho& server = self(loop);
    for (int fd; (fd = acceptNonBlocking(server.listener_.fd)) >= 0;) {
      auto conn = std::make_unique<Conn>(fd);
      ev_io_init(&conn->watcher, &onConn, fd, EV_READ);
      conn->watcher.data = conn.get();
      ev_io_start(loop, &conn->watcher);
      server.connections_[fd] = std::move(conn);
    }
  }
  static void onConn(struct ev_loop* loop, ev_io* watcher, int) {
    LibevEcho& server = self(loop);
    auto* conn = static_cast<Conn*>(watcher->data);
    const bool wanted = conn->echo.wantsWrite();
    const auto result = wanted ? conn->echo.onWritable() : conn->echo.onReadable();
    if (result == EchoConnection::kClosed) {
      ev_io_stop(loop, watcher);
      server.connections_.erase(conn->echo.fd());
    } else if (conn->echo.wantsWrite() != wanted) {
      ev_io_stop(loop, watcher);
      ev_io_set(watcher, conn->echo.fd(), conn->echo.wantsWrite() ? EV_WRITE : EV_READ);
      ev_io_start(loop, watcher);
    }
  }

  struct ev_loop* loop_;
  Listener listener_;
  ev_io accept_;
  ev_io stop_;
  std::unordered_map<int, std::unique_ptr<Conn>> connections_;
};

const bool kRegistered = registerEchoServer("libev", &LibevEcho::create);

}  // namespace
}  // namespace torsion::bench
