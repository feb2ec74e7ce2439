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
// The address checks, connect() and the broadcast flag are
// DatagramPortBase's (net/datagram_port_base.h), shared with net/udp_port.h.
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
#include "net/datagram.h"
#include "net/datagram_port_base.h"
#include "net/iocp/iocp_support.h"
#include "net/socket_address.h"

namespace torsion::net::internal {

class IocpUdpPort final : public DatagramPortBase,
                          public CompletionOwner,
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

  // ListeningPort (the rest of DatagramTransport is DatagramPortBase's).
  Deferred<void> stopListening() override;

  // DatagramPortBase and CompletionOwner.
  std::string logPrefix() const override;
  // datagramReceived threw (already logged): the port keeps receiving
  // (Twisted test_datagramReceivedError).
  void completionFailed(std::exception_ptr error) override;

  int operationsInFlight() const { return inFlight_; }

 private:
  void startRead();
  void readDone(std::uint32_t error, std::uint32_t bytes);
  // DatagramPortBase.
  absl::Status send(const char* data, std::size_t size, const SockAddr* to) override;
  absl::Status connectSocket(const SockAddr& to, std::string_view host) override;
  int socketFd() const override { return toFd(socket_); }
  absl::Status lastCallError(const std::string& what) const override;

  void closeAndStop();

  Reactor& reactor_;
  SOCKET socket_;
  std::size_t maxPacketSize_;
  bool skipOnSuccess_;
  std::shared_ptr<IocpUdpPort> self_;
  ShutdownHook shutdownHook_;
  std::unique_ptr<char[]> readBuffer_;
  SockAddr from_;  // filled by the pending WSARecvFrom
  int fromLen_ = 0;
  int inFlight_ = 0;
  bool reading_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_UDP_PORT_H_
