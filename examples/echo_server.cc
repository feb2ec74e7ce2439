// An echo server: every byte a client sends comes straight back. The
// Twisted original (docs/core/examples/echoserv.py):
//
//   class Echo(Protocol):
//       def dataReceived(self, data):
//           self.transport.write(data)
//   factory = Factory.forProtocol(Echo)
//   reactor.listenTCP(8000, factory, interface="127.0.0.1")
//   reactor.run()
//
// One thing the Twisted original leaves out, and a server facing real peers
// needs: backpressure. dataReceived writes what it reads; a peer that sends
// but does not read (slowly, or never) would make the server read on and
// buffer everything it cannot send, until the transport's hard limit
// (64 MiB per connection) aborts the connection: four such peers took 260
// MiB. So each connection registers its transport as a streaming producer
// of itself, as twisted.protocols.portforward does for a proxy: once the
// write buffer passes the high-water mark (64 KiB) the transport stops
// reading, and it reads again when the peer has drained it to the
// low-water mark (16 KiB). A connection then buffers at most the mark plus
// one read, whatever its peer does; the rest waits in the kernel and, once
// that is full, in the peer (docs/net.md, "Buffering and backpressure").
//
// Usage: echo_server [--port N] [--count K]
//   --port N   port on 127.0.0.1 (default 8000; 0 picks a free one)
//   --count K  stop after K connections have closed (default: run forever)
// Prints "listening on 127.0.0.1:PORT" once it accepts connections. Stops
// on SIGINT/SIGTERM too (the reactor's signal handlers), printing how many
// connections it served.
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/reactor.h"
#include "examples/example_main.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace {

class Echo : public torsion::net::Protocol {
 public:
  explicit Echo(std::function<void()> onClose) : onClose_(std::move(onClose)) {}

  void connectionMade() override {
    // Backpressure (see the top of this file): the transport pauses its own
    // reading while this connection's write buffer is over the high-water
    // mark. It stays registered for the connection's life; the transport
    // lets go of it when the connection is lost.
    transport()->registerProducer(transport(), /*streaming=*/true);
  }

  void dataReceived(std::string_view data) override { transport()->write(data); }

  void connectionLost(const torsion::Failure&) override { onClose_(); }

 private:
  std::function<void()> onClose_;
};

class EchoFactory : public torsion::net::ServerFactory {
 public:
  explicit EchoFactory(std::function<void()> onClose) : onClose_(std::move(onClose)) {}
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<Echo>(onClose_);
  }

 private:
  std::function<void()> onClose_;
};

}  // namespace

int main(int argc, char** argv) {
  long port = 8000;
  long count = 0;
  if (!torsion::examples::parseOptions(
          argc, argv, "usage: echo_server [--port N] [--count K]",
          {torsion::examples::numberOption("--port", 0, 65535, port),
           torsion::examples::numberOption("--count", 0, 1L << 30, count)})) {
    return 2;
  }
  auto reactor = torsion::examples::createReactor();
  if (!reactor) return 1;
  torsion::Reactor& r = *reactor;
  long closed = 0;
  auto factory = std::make_shared<EchoFactory>([&] {
    if (count > 0 && ++closed == count) r.stop();
  });
  auto listening = torsion::net::listenTCP(r, static_cast<std::uint16_t>(port), factory,
                                           {.interface = "127.0.0.1"});
  if (!listening.ok()) {
    std::cerr << listening.status().message() << "\n";
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u\n", (*listening)->getHost().port);
  std::fflush(stdout);
  r.run();
  std::printf("served %ld connection(s)\n", closed);
  return 0;
}
