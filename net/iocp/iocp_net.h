// torsion/net/iocp/iocp_net.h: listenTCP / connectTCP / listenUDP over the
// IOCP completion transports (internal).
//
// net/tcp.cc and net/udp.cc hand over to these, on Windows, when the
// reactor's backend is a completion backend
// (reactor.backend().features().completionModel). Same arguments, errors
// and outcomes as the public functions in net/tcp.h and net/udp.h, which
// document them; the options arrive unpacked because //net:sockets (where
// those option structs live) depends on this package, not the reverse.
// Mirrors twisted.internet.iocpreactor.reactor's listenTCP / connectTCP /
// listenUDP.
//
//   #ifdef _WIN32
//   if (reactor.backend().features().completionModel)
//     return internal::iocpListenTCP(reactor, port, factory, backlog, iface);
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
#include <utility>

#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "base/reactor_time.h"
#include "net/datagram.h"
#include "net/port.h"
#include "net/protocol.h"

namespace torsion::net::internal {

// listenTCP: no SO_REUSEADDR (on Windows it lets another socket steal the
// port; Twisted does not set it there either).
absl::StatusOr<std::shared_ptr<ListeningPort>> iocpListenTCP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory, int backlog,
    const std::string& interface);

// connectTCP. Throws std::invalid_argument for a null factory.
std::shared_ptr<Connector> iocpConnectTCP(
    Reactor& reactor, std::string_view host, std::uint16_t port,
    std::shared_ptr<ClientFactory> factory, std::optional<Seconds> timeout,
    std::optional<std::pair<std::string, std::uint16_t>> bindAddress);

// listenUDP.
absl::StatusOr<std::shared_ptr<DatagramTransport>> iocpListenUDP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
    const std::string& interface, std::size_t maxPacketSize);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_NET_H_
