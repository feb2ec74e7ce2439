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
// Usage: echo_server [--port N] [--count K]
//   --port N   port on 127.0.0.1 (default 8000; 0 picks a free one)
//   --count K  stop after K connections have closed (default: run forever)
// Prints "listening on 127.0.0.1:PORT" once it accepts connections.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "core/reactor.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace {

class Echo : public torsion::net::Protocol {
 public:
  explicit Echo(std::function<void()> onClose) : onClose_(std::move(onClose)) {}
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

bool parseInt(const char* text, long max, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && out >= 0 && out <= max;
}

}  // namespace

int main(int argc, char** argv) {
  long port = 8000;
  long count = 0;
  for (int i = 1; i < argc; ++i) {
    const bool hasValue = i + 1 < argc;
    if (std::strcmp(argv[i], "--port") == 0 && hasValue &&
        parseInt(argv[i + 1], 65535, port)) {
      ++i;
    } else if (std::strcmp(argv[i], "--count") == 0 && hasValue &&
               parseInt(argv[i + 1], 1L << 30, count)) {
      ++i;
    } else {
      std::cerr << "usage: echo_server [--port N] [--count K]\n";
      return 2;
    }
  }
  auto reactor = torsion::Reactor::create();
  if (!reactor.ok()) {
    std::cerr << "cannot create a reactor: " << reactor.status() << "\n";
    return 1;
  }
  torsion::Reactor& r = **reactor;
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
