// torsion/net/tcp.h: TCP servers and clients (IPv4 and IPv6).
//
// Mirrors twisted.internet.interfaces.IReactorTCP (listenTCP, connectTCP)
// as implemented by twisted.internet.tcp on the readiness reactors. The
// returned ListeningPort / Connector and the connections they make keep
// themselves alive while the reactor uses them; holding the shared_ptr is
// optional.
//
//   auto port = torsion::net::listenTCP(reactor, 0, factory,
//                                       {.interface = "127.0.0.1"});
//   if (!port.ok()) { std::cerr << port.status(); return 1; }
//   auto connector = torsion::net::connectTCP(
//       reactor, "127.0.0.1", (*port)->getHost().port, clientFactory,
//       {.timeout = torsion::Seconds(5)});
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TCP_H_
#define TORSION_NET_TCP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/reactor_time.h"
#include "core/reactor.h"
#include "net/errors.h"
#include "net/port.h"
#include "net/protocol.h"

namespace torsion::net {

struct ListenOptions {
  // listen(2)'s backlog (Twisted's default).
  int backlog = 50;
  // An IP literal to bind: "127.0.0.1", "::1", "::". Empty: every IPv4
  // interface, Twisted's default ('').
  std::string interface = {};
};

// Listens on `port` (0: an ephemeral port, see getHost().port) and serves
// every accepted connection with factory->buildProtocol(peer). Errors:
// InvalidArgument for an interface that is not an IP literal or holds a
// NUL byte (net/nul_check.h); otherwise the bind/listen errno mapped to a
// status whose message reads "CannotListenError: couldn't listen on
// 127.0.0.1:80: Address already in use". SO_REUSEADDR is set, as Twisted
// does on POSIX.
absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(Reactor& reactor,
                                                         std::uint16_t port,
                                                         std::shared_ptr<Factory> factory,
                                                         ListenOptions options = {});

struct BindAddress {
  std::string host = {};  // an IP literal
  std::uint16_t port = 0;
};

struct ConnectOptions {
  // clientConnectionFailed(TimeoutError) if not connected by then (name
  // resolution included); nullopt: no timeout.
  std::optional<Seconds> timeout = Seconds(30);
  // Bind the client socket first (ConnectBindError if that fails).
  std::optional<BindAddress> bindAddress = std::nullopt;
};

// Starts connecting to host:port (an IP literal, or a name resolved on the
// thread pool; see net/resolve.h) and returns the connector at once.
// Outcomes reach the factory: startedConnecting (synchronously, before
// this returns), then buildProtocol + connectionMade, or
// clientConnectionFailed with ConnectionRefusedError, TimeoutError,
// DNSLookupError (also for a host holding a NUL byte), ConnectBindError
// (also for a bind address holding one), NoProtocol, UserError
// (stopConnecting) or ConnectError; after a connection,
// clientConnectionLost. Never throws for network errors.
std::shared_ptr<Connector> connectTCP(Reactor& reactor, std::string_view host,
                                      std::uint16_t port,
                                      std::shared_ptr<ClientFactory> factory,
                                      ConnectOptions options = {});

}  // namespace torsion::net

#endif  // TORSION_NET_TCP_H_
