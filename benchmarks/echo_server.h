// torsion/benchmarks/echo_server.h: the server side of workload W3 (TCP
// echo): the contract each implementation's echo server satisfies, a
// registry of them, and the process harness shared by every server binary.
//
// Mirrors no Twisted module (the torsion server itself is Twisted's
// echoserv.py on net/ listenTCP). Each adapter (torsion_echo.cc,
// min_echo.cc, libevent_echo.cc, ...) only writes the echo with its
// library's own API; binding, the stop signal, the port hand-off and the
// time bound live here, once.
//
//   class MyEcho final : public EchoServer { ... };
//   const bool kRegistered = registerEchoServer(
//       "my_loop", [](int stopFd) { return MyEcho::create(stopFd); });
//   // echo_server_main.cc's main(): `echo_my --impl my_loop` prints
//   // "PORT <n>" and serves until its stdin closes or --max_seconds pass.
#ifndef TORSION_BENCHMARKS_ECHO_SERVER_H_
#define TORSION_BENCHMARKS_ECHO_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace torsion::bench {

// An echo server listening on 127.0.0.1 (ephemeral port): every byte a
// client sends goes straight back. serve() runs the implementation's loop
// until `stopFd` (handed to the factory) becomes readable, and returns
// what went wrong, if anything. Not thread-safe: one thread creates,
// serves and destroys it.
class EchoServer {
 public:
  virtual ~EchoServer() = default;
  virtual int port() const = 0;
  virtual absl::Status serve() = 0;
};

using EchoServerFactory = std::function<absl::StatusOr<std::unique_ptr<EchoServer>>(int)>;

// Adds `impl` to the registry (static initialisation time). Returns true.
bool registerEchoServer(const std::string& impl, EchoServerFactory factory);
// The registered factory, or nullptr.
const EchoServerFactory* findEchoServer(const std::string& impl);
std::vector<std::string> echoServers();

// A server running on its own thread of this process (smoke_test).
// start() fails with the factory's error; stop() (also the destructor)
// signals the stop descriptor, joins and returns serve()'s status.
class EchoServerThread {
 public:
  static absl::StatusOr<std::unique_ptr<EchoServerThread>> start(const std::string& impl);
  ~EchoServerThread();
  int port() const { return port_; }
  absl::Status stop();

 private:
  EchoServerThread() = default;
  int stopPipe_[2] = {-1, -1};
  int port_ = 0;
  absl::Status served_;
  std::thread thread_;
};

// main() of a server binary: --impl NAME [--max_seconds S] (default 300).
// Prints "PORT <n>" on stdout, then serves until stdin reaches EOF (the
// load generator closed it) or S seconds passed. Exit status 0 when the
// server stopped cleanly, 1 on an error (printed), 2 on a usage error.
int echoServerMain(int argc, char** argv);

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_ECHO_SERVER_H_
