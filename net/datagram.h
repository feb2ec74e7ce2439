// torsion/net/datagram.h: the datagram transport and protocol interfaces.
//
// Mirrors twisted.internet.interfaces.IUDPTransport and
// twisted.internet.protocol.DatagramProtocol. Apart from net/udp.h (which
// opens ports) so that the code implementing ports, the readiness one in
// net/ and the IOCP one in net/iocp/, can use them without depending on the
// library that dispatches between those two.
//
//   class Echo : public torsion::net::DatagramProtocol {
//     void datagramReceived(std::string_view data,
//                           const torsion::net::Address& from) override {
//       (void)transport()->write(data, from);
//     }
//   };
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_DATAGRAM_H_
#define TORSION_NET_DATAGRAM_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "net/address.h"
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

}  // namespace torsion::net

#endif  // TORSION_NET_DATAGRAM_H_
