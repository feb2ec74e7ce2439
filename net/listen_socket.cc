#include "net/listen_socket.h"

#include "net/errors.h"
#include "net/nul_check.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {

absl::Status checkListenName(std::string_view what, std::string_view name, int port) {
  absl::Status s = checkNoNul(what, name);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(
      CannotListenError(printable(name), port, std::string(s.message())).what());
}

absl::Status cannotListen(int error, const std::string& interface, int port,
                          const std::string& why) {
  return absl::Status(socketErrorCode(error),
                      CannotListenError(interface, port, why).what());
}

absl::StatusOr<int> bindSocket(const SockAddr& address, int type,
                               const std::string& interface, int port,
                               bool reuseAddress) {
  const int fd = openSocket(address.family(), type);
  if (fd < 0) {
    const int e = lastSocketError();
    return cannotListen(e, interface, port, "socket(): " + socketErrorText(e));
  }
#ifdef _WIN32
  // Windows' SO_REUSEADDR lets another socket bind the same port while we
  // listen on it (port stealing); Twisted's tcp.py skips it on win32 too.
  (void)reuseAddress;
#else
  if (reuseAddress) {
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
#endif
  if (::bind(fd, address.get(), address.len) != 0) {
    const int e = lastSocketError();
    closeSocket(fd);
    return cannotListen(e, interface, port, socketErrorText(e));
  }
  return fd;
}

absl::Status listenSocket(int fd, int backlog, const std::string& interface, int port) {
  if (::listen(fd, backlog) != 0) {
    const int e = lastSocketError();
    closeSocket(fd);
    return cannotListen(e, interface, port, "listen(): " + socketErrorText(e));
  }
  return absl::OkStatus();
}

}  // namespace torsion::net::internal
