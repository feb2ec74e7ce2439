#include "net/udp.h"

#include <utility>

#include "net/listen_socket.h"
#include "net/transports_for.h"

namespace torsion::net {

absl::StatusOr<std::shared_ptr<DatagramTransport>> listenUDP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
    std::string interface, std::size_t maxPacketSize) {
  if (absl::Status s = internal::checkListenName("interface", interface, port); !s.ok()) {
    return s;
  }
  if (!protocol) return absl::InvalidArgumentError("listenUDP: null protocol");
  return internal::transportsFor(reactor).listenUDP(reactor, port, std::move(protocol),
                                                    interface, maxPacketSize);
}

}  // namespace torsion::net
