// The server side of the soak (docs/benchmarks.md, "Soak"): a torsion echo
// server on one backend, listening on 127.0.0.1 (ephemeral port).
//
//   soak_server --backend epoll [--max_seconds S]
//
// Prints "PORT <n>" once listening, then serves until its standard input
// closes or S seconds (default 600) pass, whichever comes first: it never
// outlives the soak that started it. Each connection is Twisted's
// echoserv.py Protocol with its transport registered as its own streaming
// producer, as examples and users should write it: a peer that does not
// read pauses reading once the write buffer passes its high-water mark, so
// memory stays bounded. Exit status 1 with the reason on stderr when the
// backend or the listening socket cannot be had.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace {

class Echo final : public torsion::net::Protocol {
 public:
  void connectionMade() override {
    transport()->registerProducer(transport(), /*streaming=*/true);
  }
  void dataReceived(std::string_view data) override { transport()->write(data); }
};

class EchoFactory final : public torsion::net::ServerFactory {
 public:
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<Echo>();
  }
};

// Stops the reactor when standard input reaches end of file (the soak
// closed its end, or died).
class StdinWatch final : public torsion::FileDescriptor {
 public:
  explicit StdinWatch(torsion::Reactor& reactor) : reactor_(reactor) {}
  int fileno() const override { return STDIN_FILENO; }
  torsion::LostReason doRead() override {
    char sink[256];
    if (read(STDIN_FILENO, sink, sizeof sink) <= 0) {
      reactor_.removeReader(this);
      reactor_.stop();
    }
    return nullptr;
  }
  // epoll and poll report a closed pipe as a hang-up: the reactor drops the
  // descriptor and calls this instead of doRead.
  void connectionLost(const torsion::LostReason&) override { reactor_.stop(); }

 private:
  torsion::Reactor& reactor_;
};

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s --backend NAME [--max_seconds S]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string backend;
  double maxSeconds = 600;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
      backend = argv[++i];
    } else if (std::strcmp(argv[i], "--max_seconds") == 0 && i + 1 < argc) {
      maxSeconds = std::atof(argv[++i]);
    } else {
      return usage(argv[0]);
    }
  }
  if (backend.empty() || !(maxSeconds > 0)) return usage(argv[0]);

  auto reactor = torsion::Reactor::create({.backend = backend});
  if (!reactor.ok()) {
    std::fprintf(stderr, "soak_server: %s\n", reactor.status().ToString().c_str());
    return 1;
  }
  torsion::Reactor& r = **reactor;
  auto port = torsion::net::listenTCP(r, 0, std::make_shared<EchoFactory>(),
                                      {.backlog = 4096, .interface = "127.0.0.1"});
  if (!port.ok()) {
    std::fprintf(stderr, "soak_server: %s\n", port.status().ToString().c_str());
    return 1;
  }
  StdinWatch stdinWatch(r);
  if (absl::Status added = r.addReader(&stdinWatch); !added.ok()) {
    std::fprintf(stderr, "soak_server: %s\n", added.ToString().c_str());
    return 1;
  }
  // The time bound, whatever the soak does.
  r.callLater(torsion::Seconds(maxSeconds), [&r] { r.stop(); });
  std::printf("PORT %d\n", (*port)->getHost().port);
  std::fflush(stdout);
  r.run(/*installSignalHandlers=*/false);
  r.removeAll();
  return 0;
}
