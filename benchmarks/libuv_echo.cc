// W3 echo server on libuv: uv_tcp_t server and connections; each read is
// written back with uv_try_write, and only the part the socket refused goes
// through a uv_write request (with reading paused until it completes, for
// backpressure); a uv_poll_t on the stop descriptor calls uv_stop.
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"

namespace torsion::bench {
namespace {

absl::Status uvError(const char* what, int code) {
  return absl::InternalError(std::string(what) + " failed: " + uv_strerror(code));
}

struct Conn {
  uv_tcp_t tcp;
  uv_write_t write;
  std::vector<char> in = std::vector<char>(kEchoChunk);
  std::vector<char> out;
};

void onClosed(uv_handle_t* handle) { delete static_cast<Conn*>(handle->data); }

void closeConn(Conn* conn) {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&conn->tcp)))
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), &onClosed);
}

void onAlloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* conn = static_cast<Conn*>(handle->data);
  *buf = uv_buf_init(conn->in.data(), static_cast<unsigned>(conn->in.size()));
}

void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

void onWritten(uv_write_t* req, int status) {
  auto* conn = static_cast<Conn*>(req->data);
  if (status < 0) return closeConn(conn);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &onAlloc, &onRead);
}

void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* conn = static_cast<Conn*>(stream->data);
  if (nread < 0) return closeConn(conn);
  if (nread == 0) return;
  uv_buf_t data = uv_buf_init(buf->base, static_cast<unsigned>(nread));
  int sent = uv_try_write(stream, &data, 1);
  if (sent == UV_EAGAIN) sent = 0;
  if (sent < 0) return closeConn(conn);
  if (sent == nread) return;
  conn->out.assign(buf->base + sent, buf->base + nread);
  uv_buf_t rest = uv_buf_init(conn->out.data(), static_cast<unsigned>(conn->out.size()));
  uv_read_stop(stream);
  conn->write.data = conn;
  if (uv_write(&conn->write, stream, &rest, 1, &onWritten) != 0) closeConn(conn);
}

class LibuvEcho final : public EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> create(int stopFd) {
    std::unique_ptr<LibuvEcho> self(new LibuvEcho());
    if (int rc = uv_loop_init(&self->loop_); rc != 0) return uvError("uv_loop_init", rc);
    self->initialised_ = true;
    self->loop_.data = self.get();
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    uv_tcp_init(&self->loop_, &self->server_);
    if (int rc = uv_tcp_bind(&self->server_, reinterpret_cast<sockaddr*>(&address), 0);
        rc != 0)
      return uvError("uv_tcp_bind(127.0.0.1:0)", rc);
    if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&self->server_), 1024,
                           &onConnection);
        rc != 0)
      return uvError("uv_listen", rc);
    int length = sizeof address;
    uv_tcp_getsockname(&self->server_, reinterpret_cast<sockaddr*>(&address), &length);
    self->port_ = ntohs(address.sin_port);
    if (int rc = uv_poll_init(&self->loop_, &self->stop_, stopFd); rc != 0)
      return uvError("uv_poll_init(stop descriptor)", rc);
    uv_poll_start(&self->stop_, UV_READABLE,
                  [](uv_poll_t* poll, int, int) { uv_stop(poll->loop); });
    return std::unique_ptr<EchoServer>(std::move(self));
  }
  ~LibuvEcho() override {
    if (!initialised_) return;
    // Close every handle (connections included), let the close callbacks
    // run, then the loop can be closed.
    uv_walk(
        &loop_,
        [](uv_handle_t* handle, void*) {
          if (!uv_is_closing(handle))
            uv_close(handle, handle->type == UV_TCP && handle->data != nullptr &&
                                     handle->data != handle->loop->data
                                 ? &onClosed
                                 : nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  int port() const override { return port_; }

  absl::Status serve() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    return absl::OkStatus();
  }

 private:
  LibuvEcho() = default;

  static void onConnection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* conn = new Conn();
    uv_tcp_init(server->loop, &conn->tcp);
    conn->tcp.data = conn;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) {
      closeConn(conn);
      return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &onAlloc, &onRead);
  }

  uv_loop_t loop_{};
  bool initialised_ = false;
  uv_tcp_t server_{};
  uv_poll_t stop_{};
  int port_ = 0;
};

const bool kRegistered = registerEchoServer("libuv", &LibuvEcho::create);

}  // namespace
}  // namespace torsion::bench
