// W3 echo server on libevent 2.1: evconnlistener + one bufferevent per
// connection whose read callback moves the input buffer to the output
// (evbuffer to evbuffer, no copy through user space); the stop descriptor
// is an EV_READ event that breaks the loop.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <memory>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"

namespace torsion::bench {
namespace {

class LibeventEcho final : public EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> create(int stopFd) {
    auto listener = listenLoopback();
    if (!listener.ok()) return listener.status();
    event_base* base = event_base_new();
    if (base == nullptr) {
      close(listener->fd);
      return absl::InternalError("event_base_new() failed");
    }
    std::unique_ptr<LibeventEcho> self(new LibeventEcho(base, listener->port));
    self->listener_ = evconnlistener_new(base, &onAccept, base, LEV_OPT_CLOSE_ON_FREE, -1,
                                         listener->fd);
    self->stop_ = event_new(base, stopFd, EV_READ, &onStop, base);
    if (self->listener_ == nullptr || self->stop_ == nullptr ||
        event_add(self->stop_, nullptr) != 0)
      return absl::InternalError("libevent: listener or stop event setup failed");
    return std::unique_ptr<EchoServer>(std::move(self));
  }
  ~LibeventEcho() override {
    if (stop_ != nullptr) event_free(stop_);
    if (listener_ != nullptr) evconnlistener_free(listener_);
    event_base_free(base_);
  }

  int port() const override { return port_; }

  absl::Status serve() override {
    if (event_base_dispatch(base_) < 0)
      return absl::InternalError("event_base_dispatch failed");
    return absl::OkStatus();
  }

 private:
  LibeventEcho(event_base* base, int port) : base_(base), port_(port) {}

  static void onStop(evutil_socket_t, short, void* base) {
    event_base_loopbreak(static_cast<event_base*>(base));
  }
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* base) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bufferevent* bev =
        bufferevent_socket_new(static_cast<event_base*>(base), fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == nullptr) {
      close(fd);
      return;
    }
    bufferevent_setcb(bev, &onRead, nullptr, &onEvent, nullptr);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
  }
  static void onRead(bufferevent* bev, void*) {
    bufferevent_write_buffer(bev, bufferevent_get_input(bev));
  }
  static void onEvent(bufferevent* bev, short what, void*) {
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
  }

  event_base* base_;
  int port_;
  evconnlistener* listener_ = nullptr;
  event* stop_ = nullptr;
};

const bool kRegistered = registerEchoServer("libevent", &LibeventEcho::create);

}  // namespace
}  // namespace torsion::bench
