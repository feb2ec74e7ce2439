// W3 over TLS, the reference: min_echo_loop.h with TlsEchoConnection
// (plain OpenSSL on the socket), registered as "min_epoll_tls". The
// context is net/tls's, made by echoServerContext() as torsion's TLS echo
// server makes its own, so both offer the same protocol versions and ciphers.
#include <memory>

#include "benchmarks/echo_server.h"
#include "benchmarks/min_echo_loop.h"
#include "benchmarks/tls_echo_context.h"
#include "benchmarks/tls_echo_socket.h"

namespace torsion::bench {
namespace {

const bool kRegistered = registerEchoServer(
    "min_epoll_tls", [](int stopFd) -> absl::StatusOr<std::unique_ptr<EchoServer>> {
      auto context = echoServerContext();
      if (!context.ok()) return context.status();
      return MinEpollEcho<TlsEchoConnection>::create(
          stopFd, [context = *context](int fd) -> std::unique_ptr<TlsEchoConnection> {
            SSL* ssl = context->newConnection();
            if (ssl == nullptr) return nullptr;
            return std::make_unique<TlsEchoConnection>(fd, ssl);
          });
    });

}  // namespace
}  // namespace torsion::bench
