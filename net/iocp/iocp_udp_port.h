// torsion/net/iocp/iocp_udp_port.h: a bound UDP socket as a
// completion-driven DatagramTransport (internal).
//
// Mirrors twisted.internet.iocpreactor.udp.Port: one overlapped WSARecvFrom
// outstanding (maxPacketSize bytes), each datagram to datagramReceived
// (what it throws is logged and the port goes on); writes are immediate
// WSASendTo / WSASend calls without an OVERLAPPED, as Twisted's IOCP port
// writes with a plain sendto, so write() reports its outcome at once as
// net/udp_port.h does. In connected mode WSAECONNRESET (Windows' report
// of an ICMP port unreachable) calls connectionRefused(). stopListening()
// closes on the next pass, then stopProtocol runs.
//
//   auto port = std::make_shared<internal::IocpUdpPort>(reactor, s, protocol,
//                                                       8192, skipOnSuccess);
//   absl::Status st = internal::IocpUdpPort::start(port);
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_IOCP_UDP_PORT_H_
#define TORSION_NET_IOCP_IOCP_UDP_PORT_H_

#include <winsock2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/reactor.h"
#include "net/iocp/iocp_support.h"
#include "net/socket_address.h"
#include "net/udp.h"

namespace torsion::net::internal {

class IocpUdpPort final : public DatagramTransport,
                          public std::enable_shared_from_this<IocpUdpPort> {
 public:
  // Takes ownership of `s`, a bound datagram socket associated with the
  // reactor's port.
  IocpUdpPort(Reactor& reactor, SOCKET s, std::shared_ptr<DatagramProtocol> protocol,
              std::size_t maxPacketSize, bool skipOnSuccess);
  ~IocpUdpPort() override;

  // Attaches the protocol (startProtocol), starts receiving, keeps the
  // port alive until it stops.
  static absl::Status start(const std::shared_ptr<IocpUdpPort>& port);

  absl::Status write(std::string_view datagram, const Address& to) override;
  absl::Status write(std::string_view datagram) override;
  absl::Status writeSequence(std::span<const std::string_view> pieces) override;
  absl::Status connect(std::string_view host, std::uint16_t port) override;
  absl::Status setBroadcastAllowed(bool enabled) override;
  bool getBroadcastAllowed() const override;
  Deferred<void> stopListening() override;
  Address getHost() const override { return host_; }

  std::string logPrefix() const;
  int operationsInFlight() const { return inFlight_; }

 private:
  void startRead();
  void readDone(std::uint32_t error, std::uint32_t bytes);
  void refused();
  absl::Status send(const char* data, std::size_t size, const SockAddr* to);
  void closeAndStop();

  Reactor& reactor_;
  SOCKET socket_;
  std::shared_ptr<DatagramProtocol> protocol_;
  std::size_t maxPacketSize_;
  bool skipOnSuccess_;
  Address host_;
  std::shared_ptr<IocpUdpPort> self_;
  ShutdownHook shutdownHook_;
  std::unique_ptr<char[]> readBuffer_;
  SockAddr from_;  // filled by the pending WSARecvFrom
  int fromLen_ = 0;
  int inFlight_ = 0;
  bool reading_ = false;
  bool connected_ = false;
  Address connectedAddress_;
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_UDP_PORT_H_
