// W3's reference over plain TCP: min_echo_loop.h with EchoConnection
// (read, write straight back), registered as "min_epoll".
#include <memory>

#include "benchmarks/echo_server.h"
#include "benchmarks/echo_socket.h"
#include "benchmarks/min_echo_loop.h"

namespace torsion::bench {
namespace {

const bool kRegistered = registerEchoServer("min_epoll", [](int stopFd) {
  return MinEpollEcho<EchoConnection>::create(
      stopFd, [](int fd) { return std::make_unique<EchoConnection>(fd); });
});

}  // namespace
}  // namespace torsion::bench
