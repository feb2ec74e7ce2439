// W3 echo server on torsion (torsion_echo_server.h): Twisted's
// echoserv.py, a Protocol whose dataReceived writes the data back, with the
// transport registered as a streaming producer of itself, as
// twisted.protocols.portforward registers one side's transport as the
// producer for the other.
//
// Why the producer: every peer server (min_echo, libev, libuv, ...) stops
// reading while a write is pending. A bare echoserv.py never does, so
// when the client reads slower than it writes torsion would read ahead
// into its write buffer without bound (up to the load generator's 4 MiB
// window), copying every byte once more. With the producer registered the
// write buffer's high-water mark (64 KiB, Twisted's bufferSize) pauses
// reading and the low-water mark resumes it: the same backpressure the
// peers apply, written the way a Twisted user would (docs/echo-performance.md).
#include "benchmarks/torsion_echo_server.h"

#include <memory>
#include <string>
#include <string_view>

#include "benchmarks/echo_server.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace torsion::bench {
namespace {

class Echo final : public net::Protocol {
 public:
  void connectionMade() override {
    transport()->registerProducer(transport(), /*streaming=*/true);
  }
  void dataReceived(std::string_view data) override { transport()->write(data); }
};

class EchoFactory final : public net::ServerFactory {
 public:
  std::shared_ptr<net::Protocol> buildProtocol(const net::Address&) override {
    return std::make_shared<Echo>();
  }
};

// Stops the reactor when the harness's stop descriptor becomes readable.
class StopReader final : public FileDescriptor {
 public:
  StopReader(int fd, Reactor& reactor) : fd_(fd), reactor_(reactor) {}
  int fileno() const override { return fd_; }
  LostReason doRead() override {
    reactor_.removeReader(this);
    reactor_.stop();
    return nullptr;
  }
  void connectionLost(const LostReason&) override {}

 private:
  int fd_;
  Reactor& reactor_;
};

class TorsionEcho final : public EchoServer {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServer>> create(const std::string& backend,
                                                            int stopFd,
                                                            const TorsionListen& listen) {
    auto reactor = Reactor::create(ReactorOptions{.backend = backend});
    if (!reactor.ok()) return reactor.status();
    std::unique_ptr<TorsionEcho> self(new TorsionEcho(std::move(*reactor), stopFd));
    auto port = listen(*self->reactor_, std::make_shared<EchoFactory>(),
                       {.backlog = 1024, .interface = "127.0.0.1"});
    if (!port.ok()) return port.status();
    self->port_ = std::move(*port);
    if (absl::Status added = self->reactor_->addReader(&self->stop_); !added.ok())
      return added;
    return std::unique_ptr<EchoServer>(std::move(self));
  }

  int port() const override { return port_->getHost().port; }

  absl::Status serve() override {
    reactor_->run(/*installSignalHandlers=*/false);
    return absl::OkStatus();
  }

 private:
  TorsionEcho(std::unique_ptr<Reactor> reactor, int stopFd)
      : reactor_(std::move(reactor)), stop_(stopFd, *reactor_) {}

  std::unique_ptr<Reactor> reactor_;
  StopReader stop_;
  std::shared_ptr<net::ListeningPort> port_;
};

}  // namespace

// A fixed list: the backend registry fills itself at static-initialisation
// time too, in an order this file cannot rely on. A backend this machine
// lacks fails in Reactor::create with the registry's message.
bool registerTorsionEchoServers(const std::string& suffix, TorsionListen listen) {
  for (const std::string backend : {"epoll", "poll", "select", "io_uring"}) {
    registerEchoServer("torsion_" + backend + suffix, [backend, listen](int stopFd) {
      return TorsionEcho::create(backend, stopFd, listen);
    });
  }
  return true;
}

}  // namespace torsion::bench
