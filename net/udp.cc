#include "net/udp.h"

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "net/listen_socket.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/udp_port.h"

#ifdef _WIN32
#include "net/iocp/iocp_net.h"
#endif

namespace torsion::net {

absl::StatusOr<std::shared_ptr<DatagramTransport>> listenUDP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
    std::string interface, std::size_t maxPacketSize) {
  if (absl::Status s = internal::checkListenName("interface", interface, port); !s.ok()) {
    return s;
  }
#ifdef _WIN32
  // A completion backend (IOCP) reports no readiness: its own transports
  // serve this reactor (net/iocp/).
  if (reactor.backend().features().completionModel) {
    return internal::iocpListenUDP(reactor, port, std::move(protocol), interface,
                                   maxPacketSize);
  }
#endif
  if (!protocol) return absl::InvalidArgumentError("listenUDP: null protocol");
  absl::StatusOr<internal::SockAddr> address = internal::ipLiteral(interface, port);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        CannotListenError(interface, port, std::string(address.status().message()))
            .what());
  }
  // No SO_REUSEADDR: a second bind to a UDP port in use must fail
  // (Twisted test_bindError).
  absl::StatusOr<int> fd =
      internal::bindSocket(*address, SOCK_DGRAM, interface, port, false);
  if (!fd.ok()) return fd.status();
  auto p = std::make_shared<internal::UdpPort>(reactor, *fd, std::move(protocol),
                                               maxPacketSize);
  if (absl::Status s = internal::UdpPort::start(p); !s.ok()) {
    return internal::cannotListen(EINVAL, interface, port, std::string(s.message()));
  }
  return std::shared_ptr<DatagramTransport>(std::move(p));
}

}  // namespace torsion::net
