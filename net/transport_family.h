// torsion/net/transport_family.h: the transports that serve one reactor
// (internal).
//
// A readiness backend (select, poll, epoll, kqueue, io_uring's poll
// requests) is served by the FileDescriptor transports (net/stream_*.h,
// net/udp_port.h); a completion backend (IOCP) by the completion transports
// (net/iocp/). net/transports_for.h picks the family from the reactor's
// backend, which is fixed for the reactor's life; net/tcp.cc and net/udp.cc
// check their arguments once and hand over, without knowing which family
// it is. Mirrors how Twisted's posix and iocp reactors each bring their own
// listenTCP / connectTCP / listenUDP.
//
//   absl::StatusOr<std::shared_ptr<ListeningPort>> p =
//       internal::transportsFor(reactor).listenTCP(reactor, port, factory, 50, "");
//
// The arguments are checked by the caller (non-null factory or protocol, an
// interface name without NUL); errors and outcomes are those documented in
// net/tcp.h and net/udp.h. The options arrive unpacked so that this header
// needs neither tcp.h nor udp.h (whose target depends on both families).
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TRANSPORT_FAMILY_H_
#define TORSION_NET_TRANSPORT_FAMILY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "base/reactor_time.h"
#include "core/reactor.h"
#include "net/port.h"
#include "net/protocol.h"

namespace torsion::net {
class DatagramProtocol;
class DatagramTransport;
}  // namespace torsion::net

namespace torsion::net::internal {

// Where a client binds before connecting: (host, port).
using BindTo = std::optional<std::pair<std::string, std::uint16_t>>;

class TransportFamily {
 public:
  virtual absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(
      Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory, int backlog,
      const std::string& interface) const = 0;

  virtual std::shared_ptr<Connector> connectTCP(Reactor& reactor, std::string_view host,
                                                std::uint16_t port,
                                                std::shared_ptr<ClientFactory> factory,
                                                std::optional<Seconds> timeout,
                                                BindTo bindAddress) const = 0;

  virtual absl::StatusOr<std::shared_ptr<DatagramTransport>> listenUDP(
      Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
      const std::string& interface, std::size_t maxPacketSize) const = 0;

 protected:
  ~TransportFamily() = default;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_TRANSPORT_FAMILY_H_
