// torsion/net/datagram_port_base.h: what every UDP port does the same way,
// readiness- or completion-driven (internal).
//
// Mirrors the part of twisted.internet.udp.Port that Twisted's IOCP
// reactor (twisted.internet.iocpreactor.udp.Port) repeats on its own:
// write()'s address checks (an IP literal of the socket's family, the
// connected address in connected mode), write(data) and writeSequence()
// in connected mode, connect()'s checks, and the SO_BROADCAST flag. A
// transport supplies the socket, the actual send and the connect(2) call;
// net/udp_port.h (readiness) and net/iocp/iocp_udp_port.h (IOCP) do.
//
//   class MyPort final : public internal::DatagramPortBase {
//     absl::Status send(const char* data, std::size_t size,
//                       const SockAddr* to) override;  // to == nullptr:
//                                                      // connected
//     ...
//   };
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_DATAGRAM_PORT_BASE_H_
#define TORSION_NET_DATAGRAM_PORT_BASE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "net/datagram.h"
#include "net/socket_address.h"

namespace torsion::net::internal {

class DatagramPortBase : public DatagramTransport {
 public:
  // Each throws and returns as DatagramTransport documents.
  absl::Status write(std::string_view datagram, const Address& to) final;
  absl::Status write(std::string_view datagram) final;
  absl::Status writeSequence(std::span<const std::string_view> pieces) final;
  absl::Status connect(std::string_view host, std::uint16_t port) final;
  absl::Status setBroadcastAllowed(bool enabled) final;
  bool getBroadcastAllowed() const final;
  Address getHost() const final { return host_; }

  // "UDPPort(127.0.0.1:53)": the start of every log line and error.
  virtual std::string logPrefix() const = 0;

 protected:
  explicit DatagramPortBase(std::shared_ptr<DatagramProtocol> protocol)
      : protocol_(std::move(protocol)) {}

  // Sends one already-checked datagram to `to`, or to the connected
  // address when `to` is null. Throws MessageLengthError; returns the
  // other OS errors.
  virtual absl::Status send(const char* data, std::size_t size, const SockAddr* to) = 0;
  // connect(2) of the socket to `to` (`host` as given, for the error).
  virtual absl::Status connectSocket(const SockAddr& to, std::string_view host) = 0;
  // The socket, as an int (a SOCKET cast on Windows), for setsockopt.
  virtual int socketFd() const = 0;
  // The status for the socket call `what` that just failed.
  virtual absl::Status lastCallError(const std::string& what) const = 0;

  // Calls the protocol's connectionRefused(), logging what it throws.
  void refused();

  std::shared_ptr<DatagramProtocol> protocol_;
  Address host_;            // set by the transport's start()
  bool connected_ = false;  // connect() succeeded
  Address connectedAddress_;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_DATAGRAM_PORT_BASE_H_
