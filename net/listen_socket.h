// torsion/net/listen_socket.h: socket(), bind() and listen() with errors
// that say what failed (internal; shared by TCP, Unix and UDP).
//
//   absl::StatusOr<int> fd = internal::bindSocket(addr, SOCK_STREAM,
//                                                 "127.0.0.1", 80, true);
//
// Thread-safety: any thread.
#ifndef TORSION_NET_LISTEN_SOCKET_H_
#define TORSION_NET_LISTEN_SOCKET_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/socket_address.h"

namespace torsion::net::internal {

// A non-blocking, close-on-exec socket of `type` bound to `address`, with
// SO_REUSEADDR if `reuseAddress` (never on Windows, where it would let
// another socket steal the port). Errors carry CannotListenError's text,
// naming `interface` and `port` and the errno.
absl::StatusOr<int> bindSocket(const SockAddr& address, int type,
                               const std::string& interface, int port, bool reuseAddress);

// listen(fd, backlog); on error closes fd and returns the same kind of
// status.
absl::Status listenSocket(int fd, int backlog, const std::string& interface, int port);

// OkStatus, or InvalidArgument "CannotListenError: couldn't listen on
// NAME:PORT: <what> 'NAME' contains a NUL byte ..." (net/nul_check.h) when
// `name`, an interface or a socket path, holds a NUL byte. The listen
// functions call it first, on every platform and backend.
absl::Status checkListenName(std::string_view what, std::string_view name, int port);

// The status for "couldn't listen on interface:port: why".
absl::Status cannotListen(int error, const std::string& interface, int port,
                          const std::string& why);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_LISTEN_SOCKET_H_
