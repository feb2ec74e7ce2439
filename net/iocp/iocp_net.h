// torsion/net/iocp/iocp_net.h: the completion transport family (internal):
// listenTCP / connectTCP / listenUDP over the IOCP completion transports.
//
// net/transports_for.cc picks this family, on Windows, for a reactor whose
// backend has a completion port (IOCP). Same arguments, errors and outcomes
// as the public functions in net/tcp.h and net/udp.h, which document them
// and check the arguments before handing over. Mirrors
// twisted.internet.iocpreactor.reactor's listenTCP / connectTCP / listenUDP.
//
//   #ifdef _WIN32
//   if (reactor.completionPort() != nullptr) return completionTransports();
//   #endif
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_IOCP_NET_H_
#define TORSION_NET_IOCP_IOCP_NET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/reactor_time.h"
#include "core/reactor.h"
#include "net/datagram.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/transport_family.h"

namespace torsion::net::internal {

const TransportFamily& completionTransports();

// The family's entry points (iocp_tcp.cc, iocp_udp.cc).

// listenTCP: no SO_REUSEADDR (on Windows it lets another socket steal the
// port; Twisted does not set it there either).
absl::StatusOr<std::shared_ptr<ListeningPort>> iocpListenTCP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory, int backlog,
    const std::string& interface);

std::shared_ptr<Connector> iocpConnectTCP(Reactor& reactor, std::string_view host,
                                          std::uint16_t port,
                                          std::shared_ptr<ClientFactory> factory,
                                          std::optional<Seconds> timeout,
                                          BindTo bindAddress);

absl::StatusOr<std::shared_ptr<DatagramTransport>> iocpListenUDP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
    const std::string& interface, std::size_t maxPacketSize);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_NET_H_
