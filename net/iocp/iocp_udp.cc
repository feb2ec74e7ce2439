// iocpListenUDP (net/iocp/iocp_net.h).
#include <string>
#include <utility>

#include "net/iocp/bound_socket.h"
#include "net/iocp/iocp_net.h"
#include "net/iocp/iocp_udp_port.h"
#include "net/listen_socket.h"

namespace torsion::net::internal {

absl::StatusOr<std::shared_ptr<DatagramTransport>> iocpListenUDP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
    const std::string& interface, std::size_t maxPacketSize) {
  // No SO_REUSEADDR: a second bind to a UDP port in use must fail.
  absl::StatusOr<std::pair<SOCKET, bool>> s =
      boundSocket(reactor, SOCK_DGRAM, interface, port);
  if (!s.ok()) return s.status();
  auto p = std::make_shared<IocpUdpPort>(reactor, s->first, std::move(protocol),
                                         maxPacketSize, s->second);
  if (absl::Status st = IocpUdpPort::start(p); !st.ok()) {
    return cannotListen(WSAEINVAL, interface, port, std::string(st.message()));
  }
  return std::shared_ptr<DatagramTransport>(std::move(p));
}

}  // namespace torsion::net::internal
