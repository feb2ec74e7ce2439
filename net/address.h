// torsion/net/address.h: where a connection or port is.
//
// Mirrors twisted.internet.address: IPv4Address, IPv6Address (type "TCP" or
// "UDP", host, port), UNIXAddress (a path) and HostnameAddress (a name not
// yet resolved, and a port: what a HostnameEndpoint connects to). One value
// type covers all four, so getPeer()/getHost() need no downcasts.
//
//   torsion::net::Address a = transport->getPeer();
//   if (a.kind == Address::Kind::kIPv4) std::cout << a.host << ":" << a.port;
//   std::cout << a.toString();   // "IPv4Address(TCP, '127.0.0.1', 8080)"
#ifndef TORSION_NET_ADDRESS_H_
#define TORSION_NET_ADDRESS_H_

#include <cstdint>
#include <string>

namespace torsion::net {

struct Address {
  enum class Kind { kIPv4, kIPv6, kUnix, kHostname };

  Kind kind = Kind::kIPv4;
  // "TCP" or "UDP" for IP addresses; empty for Unix addresses.
  std::string type;
  // Numeric host ("127.0.0.1", "::1") for IP addresses; the name
  // ("example.com") for a hostname address.
  std::string host;
  std::uint16_t port = 0;
  // Filesystem path (or "" when unbound) for Unix addresses.
  std::string path;

  static Address ipv4(std::string type, std::string host, std::uint16_t port) {
    return Address{Kind::kIPv4, std::move(type), std::move(host), port, {}};
  }
  static Address ipv6(std::string type, std::string host, std::uint16_t port) {
    return Address{Kind::kIPv6, std::move(type), std::move(host), port, {}};
  }
  static Address unixSocket(std::string path) {
    return Address{Kind::kUnix, {}, {}, 0, std::move(path)};
  }
  static Address hostname(std::string name, std::uint16_t port) {
    return Address{Kind::kHostname, {}, std::move(name), port, {}};
  }

  // Twisted's repr: "IPv4Address(TCP, '127.0.0.1', 8080)",
  // "UNIXAddress('/tmp/sock')",
  // "HostnameAddress(hostname=b'example.com', port=80)".
  std::string toString() const;

  friend bool operator==(const Address&, const Address&) = default;
};

}  // namespace torsion::net

#endif  // TORSION_NET_ADDRESS_H_
