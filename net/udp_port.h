// torsion/net/udp_port.h: a bound UDP socket as a readiness-driven
// DatagramTransport (internal).
//
// Mirrors twisted.internet.udp.Port: read datagrams until the socket is
// drained (bounded per pass), hand each to datagramReceived, log what it
// throws and go on; write with sendto/send; stopListening closes on the
// next pass and then calls the protocol's doStop (stopProtocol), never
// re-entrantly.
//
//   auto port = std::make_shared<internal::UdpPort>(reactor, fd, protocol,
//                                                   8192);
//   absl::Status s = internal::UdpPort::start(port);
//
// The address checks, connect() and the broadcast flag are
// DatagramPortBase's (net/datagram_port_base.h), shared with the IOCP port.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_UDP_PORT_H_
#define TORSION_NET_UDP_PORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/datagram_port_base.h"
#include "net/socket_address.h"
#include "net/udp.h"

namespace torsion::net::internal {

class UdpPort final : public FileDescriptor,
                      public DatagramPortBase,
                      public std::enable_shared_from_this<UdpPort> {
 public:
  // Takes ownership of `fd`, a bound non-blocking datagram socket.
  UdpPort(Reactor& reactor, int fd, std::shared_ptr<DatagramProtocol> protocol,
          std::size_t maxPacketSize);
  ~UdpPort() override;

  // Registers for reading, attaches the protocol (startProtocol) and keeps
  // the port alive until it stops. On error the socket is closed.
  static absl::Status start(const std::shared_ptr<UdpPort>& port);

  // ListeningPort (the rest of DatagramTransport is DatagramPortBase's).
  Deferred<void> stopListening() override;

  // FileDescriptor.
  int fileno() const override { return fd_; }
  LostReason doRead() override;
  void connectionLost(const LostReason& reason) override;
  std::string logPrefix() const override;

 private:
  // DatagramPortBase.
  absl::Status send(const char* data, std::size_t size, const SockAddr* to) override;
  absl::Status connectSocket(const SockAddr& to, std::string_view host) override;
  int socketFd() const override { return fd_; }
  absl::Status lastCallError(const std::string& what) const override;

  void closeAndStop();

  Reactor& reactor_;
  int fd_;
  std::size_t maxPacketSize_;
  std::shared_ptr<UdpPort> self_;
  // Windows: the SO_ERROR last seen before a connected send. Wine keeps an
  // ICMP error there for good, so only a change is reported.
  int lastPendingError_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_UDP_PORT_H_
