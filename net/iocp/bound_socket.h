// torsion/net/iocp/bound_socket.h: the bound socket behind
// iocpListenTCP / iocpListenUDP, associated with the reactor's completion
// port (internal).
//
//   absl::StatusOr<std::pair<SOCKET, bool>> s =
//       internal::boundSocket(reactor, SOCK_DGRAM, "127.0.0.1", 0);
//   // s->first: the socket, s->second: inline successes post no packet.
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_BOUND_SOCKET_H_
#define TORSION_NET_IOCP_BOUND_SOCKET_H_

#include <winsock2.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "core/reactor.h"

namespace torsion::net::internal {

// socket() + bind() without SO_REUSEADDR (on Windows it would let another
// socket steal the port; Twisted does not set it there), then
// associateSocket(). Errors read "CannotListenError: couldn't listen on ...".
absl::StatusOr<std::pair<SOCKET, bool>> boundSocket(Reactor& reactor, int type,
                                                    const std::string& interface,
                                                    std::uint16_t port);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_BOUND_SOCKET_H_
