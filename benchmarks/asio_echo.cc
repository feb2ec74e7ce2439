// W3 echo server on standalone Asio: tcp::acceptor and the classic
// async_read_some -> async_write -> async_read_some session; a
// posix::stream_descriptor waiting on the stop descriptor stops the
// io_context.
#include <unistd.h>

#include <asio.hpp>
#include <memory>
#include <vector>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"

namespace torsion::bench {
namespace {

using asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket)
      : socket_(std::move(socket)), buffer_(kEchoChunk) {}
  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](asio::error_code ec, std::size_t n) {
          if (!ec) self->write(n);
        });
  }

 private:
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buffer_.data(), n),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }
  tcp::socket socket_;
  std::vector<char> buffer_;
};

class AsioEcho final : public EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> create(int stopFd) {
    std::unique_ptr<AsioEcho> self(new AsioEcho(stopFd));
    asio::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
    self->acceptor_.open(endpoint.protocol(), ec);
    if (!ec) self->acceptor_.bind(endpoint, ec);
    if (!ec) self->acceptor_.listen(1024, ec);
    if (ec)
      return absl::InternalError("asio: listen on 127.0.0.1:0 failed: " + ec.message());
    self->accept();
    self->stop_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [raw = self.get()](asio::error_code) { raw->io_.stop(); });
    return std::unique_ptr<EchoServer>(std::move(self));
  }
  ~AsioEcho() override { stop_.release(); }  // the harness owns the stop descriptor

  int port() const override { return acceptor_.local_endpoint().port(); }

  absl::Status serve() override {
    io_.run();
    return absl::OkStatus();
  }

 private:
  explicit AsioEcho(int stopFd) : acceptor_(io_), stop_(io_, stopFd) {}

  void accept() {
    acceptor_.async_accept([this](asio::error_code ec, tcp::socket socket) {
      if (ec) return;
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket))->read();
      accept();
    });
  }

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::posix::stream_descriptor stop_;
};

const bool kRegistered = registerEchoServer("asio", &AsioEcho::create);

}  // namespace
}  // namespace torsion::bench
