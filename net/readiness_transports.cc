// The readiness transport family (net/transports_for.h): listenTCP,
// connectTCP and listenUDP over FileDescriptor transports that the reactor's
// FdDispatcher drives (twisted.internet.tcp and udp on a posix reactor).
#include <cerrno>
#include <string>
#include <utility>

#include "net/listen_socket.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/stream_connection_for.h"
#include "net/stream_connector.h"
#include "net/transports_for.h"
#include "net/udp.h"
#include "net/udp_port.h"

namespace torsion::net::internal {
namespace {

// interface:port as a socket address; InvalidArgument naming the listen
// that cannot happen when the interface is no IP literal.
absl::StatusOr<SockAddr> listenAddress(const std::string& interface, std::uint16_t port) {
  absl::StatusOr<SockAddr> address = ipLiteral(interface, port);
  if (address.ok()) return address;
  return absl::InvalidArgumentError(
      CannotListenError(interface, port, std::string(address.status().message())).what());
}

class ReadinessTransports final : public TransportFamily {
 public:
  absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(
      Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory, int backlog,
      const std::string& interface) const override {
    absl::StatusOr<SockAddr> address = listenAddress(interface, port);
    if (!address.ok()) return address.status();
    absl::StatusOr<int> fd = bindSocket(*address, SOCK_STREAM, interface, port, true);
    if (!fd.ok()) return fd.status();
    if (absl::Status s = listenSocket(*fd, backlog, interface, port); !s.ok()) return s;
    absl::StatusOr<std::shared_ptr<ListeningPort>> p =
        startStreamPort(reactor, *fd, std::move(factory), StreamKind::kTcp);
    if (!p.ok())
      return cannotListen(EINVAL, interface, port, std::string(p.status().message()));
    return p;
  }

  std::shared_ptr<Connector> connectTCP(Reactor& reactor, std::string_view host,
                                        std::uint16_t port,
                                        std::shared_ptr<ClientFactory> factory,
                                        std::optional<Seconds> timeout,
                                        BindTo bindAddress) const override {
    ConnectTarget target;
    target.kind = StreamKind::kTcp;
    target.host = std::string(host);
    target.port = port;
    target.bindAddress = std::move(bindAddress);
    auto c = std::make_shared<StreamConnector>(reactor, std::move(target),
                                               std::move(factory), timeout);
    c->connect();
    return c;
  }

  absl::StatusOr<std::shared_ptr<DatagramTransport>> listenUDP(
      Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
      const std::string& interface, std::size_t maxPacketSize) const override {
    absl::StatusOr<SockAddr> address = listenAddress(interface, port);
    if (!address.ok()) return address.status();
    // No SO_REUSEADDR: a second bind to a UDP port in use must fail
    // (Twisted test_bindError).
    absl::StatusOr<int> fd = bindSocket(*address, SOCK_DGRAM, interface, port, false);
    if (!fd.ok()) return fd.status();
    auto p = std::make_shared<UdpPort>(reactor, *fd, std::move(protocol), maxPacketSize);
    if (absl::Status s = UdpPort::start(p); !s.ok()) {
      return cannotListen(EINVAL, interface, port, std::string(s.message()));
    }
    return std::shared_ptr<DatagramTransport>(std::move(p));
  }
};

}  // namespace

const TransportFamily& readinessTransports() {
  static const ReadinessTransports family;
  return family;
}

}  // namespace torsion::net::internal
