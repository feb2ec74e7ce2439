#include "net/datagram_port_base.h"

#include <stdexcept>
#include <string>

#include "base/log.h"
#include "net/errors.h"
#include "net/nul_check.h"

namespace torsion::net::internal {
namespace {

// sendto/connect would use the host only up to a NUL byte.
void refuseNul(std::string_view host) {
  if (absl::Status s = checkNoNul("host", host); !s.ok()) {
    throw InvalidAddressError(printable(host), std::string(s.message()));
  }
}

}  // namespace

absl::Status DatagramPortBase::write(std::string_view datagram, const Address& to) {
  refuseNul(to.host);
  if (connected_) {
    if (to.host != connectedAddress_.host || to.port != connectedAddress_.port) {
      throw InvalidAddressError(
          to.host, "the port is connected to " + describe(connectedAddress_));
    }
    return send(datagram.data(), datagram.size(), nullptr);
  }
  const bool v4 = isIPv4Literal(to.host);
  const bool v6 = !v4 && isIPv6Literal(to.host);
  if (!v4 && !v6)
    throw InvalidAddressError(to.host, "not an IPv4 or IPv6 address literal");
  if (v4 && host_.kind == Address::Kind::kIPv6) {
    throw InvalidAddressError(to.host, "IPv4 address on an IPv6 port");
  }
  if (v6 && host_.kind == Address::Kind::kIPv4) {
    throw InvalidAddressError(to.host, "IPv6 address on an IPv4 port");
  }
  absl::StatusOr<SockAddr> a = ipLiteral(to.host, to.port);
  if (!a.ok()) throw InvalidAddressError(to.host, std::string(a.status().message()));
  return send(datagram.data(), datagram.size(), &*a);
}

absl::Status DatagramPortBase::write(std::string_view datagram) {
  if (!connected_) {
    throw std::logic_error(
        "DatagramTransport::write(data) without an address needs connect()");
  }
  return send(datagram.data(), datagram.size(), nullptr);
}

absl::Status DatagramPortBase::writeSequence(std::span<const std::string_view> pieces) {
  std::string datagram;
  for (std::string_view p : pieces) datagram.append(p);
  return write(datagram);
}

absl::Status DatagramPortBase::connect(std::string_view host, std::uint16_t port) {
  if (connected_) {
    throw std::logic_error(
        "DatagramTransport::connect: already connected; reconnecting is not supported");
  }
  refuseNul(host);
  if (!isIPLiteral(host)) {
    throw InvalidAddressError(std::string(host), "not an IPv4 or IPv6 address literal");
  }
  absl::StatusOr<SockAddr> a = ipLiteral(host, port);
  if (!a.ok())
    throw InvalidAddressError(std::string(host), std::string(a.status().message()));
  if (absl::Status s = connectSocket(*a, host); !s.ok()) return s;
  connected_ = true;
  connectedAddress_ = toAddress(a->get(), a->len, "UDP");
  return absl::OkStatus();
}

absl::Status DatagramPortBase::setBroadcastAllowed(bool enabled) {
  // int on POSIX, BOOL (also an int) on Windows.
  int on = enabled ? 1 : 0;
  if (::setsockopt(socketFd(), SOL_SOCKET, SO_BROADCAST,
                   reinterpret_cast<const char*>(&on), sizeof on) != 0) {
    return lastCallError(logPrefix() + ": setsockopt(SO_BROADCAST)");
  }
  return absl::OkStatus();
}

bool DatagramPortBase::getBroadcastAllowed() const {
  int on = 0;
  socklen_t len = sizeof on;
  if (::getsockopt(socketFd(), SOL_SOCKET, SO_BROADCAST, reinterpret_cast<char*>(&on),
                   &len) != 0) {
    return false;
  }
  return on != 0;
}

void DatagramPortBase::refused() {
  try {
    protocol_->connectionRefused();
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in connectionRefused",
             std::current_exception());
  }
}

}  // namespace torsion::net::internal
