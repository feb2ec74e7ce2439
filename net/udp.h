// torsion/net/udp.h: UDP ports and datagram protocols.
//
// Mirrors twisted.internet.interfaces.IReactorUDP.listenUDP,
// twisted.internet.protocol.DatagramProtocol and twisted.internet.udp.Port
// (IUDPTransport: write, connect, getHost, stopListening,
// setBroadcastAllowed).
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
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "net/address.h"
#include "net/errors.h"
#include "net/port.h"

namespace torsion::net {

class DatagramTransport : public ListeningPort {
 public:
  // Sends one datagram to `to`, whose host must be an IP literal of the
  // socket's family. Throws InvalidAddressError (a host name, a NUL byte,
  // IPv4 on an IPv6 socket or the reverse; or a different address in
  // connected mode) and MessageLengthError (EMSGSIZE). In connected mode a
  // refusal (ICMP port unreachable) calls the protocol's
  // connectionRefused(). Other OS errors (EAGAIN: the send buffer is full)
  // drop the datagram and are returned.
  virtual absl::Status write(std::string_view datagram, const Address& to) = 0;
  // Connected mode: sends to the connected address.
  virtual absl::Status write(std::string_view datagram) = 0;
  // The pieces, concatenated, as one datagram (connected mode).
  virtual absl::Status writeSequence(std::span<const std::string_view> pieces) = 0;

  // Connected mode: from now on only host:port is talked to. Throws
  // InvalidAddressError for a host that is not an IP literal (or holds a
  // NUL byte) and std::logic_error when already connected. OS errors are
  // returned.
  virtual absl::Status connect(std::string_view host, std::uint16_t port) = 0;

  virtual absl::Status setBroadcastAllowed(bool enabled) = 0;
  virtual bool getBroadcastAllowed() const = 0;
};

class DatagramProtocol {
 public:
  virtual ~DatagramProtocol() = default;

  // The first port using this protocol started / the last one stopped.
  virtual void startProtocol() {}
  virtual void stopProtocol() {}
  // One datagram arrived from `from`. An exception thrown here is logged
  // and the port goes on.
  virtual void datagramReceived(std::string_view datagram, const Address& from) {
    (void)datagram;
    (void)from;
  }
  // Connected mode: the peer refused a datagram (ICMP port unreachable).
  virtual void connectionRefused() {}

  DatagramTransport* transport() const { return transport_; }
  int numPorts() const { return numPorts_; }

  // Called by the port: attach and doStart; doStop detaches and calls
  // stopProtocol when the last port stopped.
  void makeConnection(DatagramTransport* transport);
  void doStop();

 private:
  DatagramTransport* transport_ = nullptr;
  int numPorts_ = 0;
};

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
