#include "net/address.h"

#include <string>

namespace torsion::net {

std::string Address::toString() const {
  switch (kind) {
    case Kind::kIPv4:
      return "IPv4Address(" + type + ", '" + host + "', " + std::to_string(port) + ")";
    case Kind::kIPv6:
      return "IPv6Address(" + type + ", '" + host + "', " + std::to_string(port) + ")";
    case Kind::kUnix:
      return "UNIXAddress('" + path + "')";
    case Kind::kHostname:
      return "HostnameAddress(hostname=b'" + host + "', port=" + std::to_string(port) +
             ")";
  }
  return "Address(?)";
}

}  // namespace torsion::net
