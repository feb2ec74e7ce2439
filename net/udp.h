// torsion/net/udp.h: UDP ports (DatagramTransport and DatagramProtocol are
// in net/datagram.h).
//
// Mirrors twisted.internet.interfaces.IReactorUDP.listenUDP and
// twisted.internet.udp.Port (IUDPTransport: write, connect, getHost,
// stopListening, setBroadcastAllowed).
//
//   class Echo : public torsion::net::DatagramProtocol {
//     void datagramReceived(std::string_view data,
//                           const torsion::net::Address& from) override {
//       (void)transport()->write(data, from);
//     }
//   };
//   auto port = torsion::net::listenUDP(reactor, 0, std::make_shared<Echo>(),
//                                       "127.0.0.1");
//
// Lifetime: the port keeps itself and its protocol alive until
// stopListening() completes (or the reactor shuts down).
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_UDP_H_
#define TORSION_NET_UDP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "net/datagram.h"
#include "net/errors.h"

namespace torsion::net {

// Binds a UDP socket to interface:port (an IP literal; "" = every IPv4
// interface) and delivers datagrams of up to maxPacketSize bytes to
// `protocol` (startProtocol() runs before this returns). Errors as for
// listenTCP: "CannotListenError: couldn't listen on 127.0.0.1:53: ...";
// InvalidArgument for an interface that is no IP literal or holds a NUL.
absl::StatusOr<std::shared_ptr<DatagramTransport>> listenUDP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
    std::string interface = "", std::size_t maxPacketSize = 8192);

}  // namespace torsion::net

#endif  // TORSION_NET_UDP_H_
