#include "net/iocp/bound_socket.h"

#include "net/errors.h"
#include "net/iocp/iocp_support.h"
#include "net/listen_socket.h"
#include "net/socket_address.h"

namespace torsion::net::internal {

absl::StatusOr<std::pair<SOCKET, bool>> boundSocket(Reactor& reactor, int type,
                                                    const std::string& interface,
                                                    std::uint16_t port) {
  absl::StatusOr<SockAddr> address = ipLiteral(interface, port);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        CannotListenError(interface, port, std::string(address.status().message()))
            .what());
  }
  absl::StatusOr<int> fd = bindSocket(*address, type, interface, port, false);
  if (!fd.ok()) return fd.status();
  SOCKET s = toSocket(*fd);
  absl::StatusOr<bool> skip = associateSocket(reactor, s);
  if (!skip.ok()) {
    ::closesocket(s);
    return cannotListen(WSAEINVAL, interface, port, std::string(skip.status().message()));
  }
  return std::make_pair(s, *skip);
}

}  // namespace torsion::net::internal
