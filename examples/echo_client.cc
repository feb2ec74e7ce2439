// An echo client: connect, send one message, print the echo, hang up.
// The Twisted original (docs/core/examples/echoclient.py):
//
//   class EchoClient(Protocol):
//       def connectionMade(self):
//           self.transport.write(b"hello, world!")
//       def dataReceived(self, data):
//           print("Server said:", data)
//           self.transport.loseConnection()
//   class EchoFactory(ClientFactory):
//       def clientConnectionFailed(self, connector, reason): reactor.stop()
//       def clientConnectionLost(self, connector, reason): reactor.stop()
//   reactor.connectTCP("127.0.0.1", 8000, EchoFactory())
//   reactor.run()
//
// Usage: echo_client [--port N] [--message TEXT]
// Prints "received: TEXT" and exits 0, or the connection error and 1.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "core/reactor.h"
#include "examples/example_main.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace {

class EchoClient : public torsion::net::Protocol {
 public:
  explicit EchoClient(std::string message) : message_(std::move(message)) {}
  void connectionMade() override { transport()->write(message_); }
  void dataReceived(std::string_view data) override {
    received_.append(data);
    // TCP may split the echo: wait for all of it.
    if (received_.size() >= message_.size()) {
      std::printf("received: %s\n", received_.c_str());
      transport()->loseConnection();
    }
  }

 private:
  std::string message_;
  std::string received_;
};

class EchoClientFactory : public torsion::net::ClientFactory {
 public:
  EchoClientFactory(torsion::Reactor& reactor, std::string message)
      : reactor_(reactor), message_(std::move(message)) {}
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<EchoClient>(message_);
  }
  void clientConnectionFailed(torsion::net::Connector*,
                              const torsion::Failure& why) override {
    std::cerr << "connection failed: " << why.getErrorMessage() << "\n";
    failed = true;
    reactor_.stop();
  }
  void clientConnectionLost(torsion::net::Connector*, const torsion::Failure&) override {
    reactor_.stop();
  }
  bool failed = false;

 private:
  torsion::Reactor& reactor_;
  std::string message_;
};

}  // namespace

int main(int argc, char** argv) {
  long port = 8000;
  std::string message = "hello, world!";
  if (!torsion::examples::parseOptions(
          argc, argv, "usage: echo_client [--port N] [--message TEXT]",
          {torsion::examples::numberOption("--port", 1, 65535, port),
           torsion::examples::textOption("--message", message)})) {
    return 2;
  }
  auto reactor = torsion::examples::createReactor();
  if (!reactor) return 1;
  torsion::Reactor& r = *reactor;
  auto factory = std::make_shared<EchoClientFactory>(r, message);
  torsion::net::connectTCP(r, "127.0.0.1", static_cast<std::uint16_t>(port), factory,
                           {.timeout = torsion::Seconds(10)});
  r.run();
  return factory->failed ? 1 : 0;
}
