#include "net/listen_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/errors.h"

namespace torsion::net::internal {

absl::Status cannotListen(int error, const std::string& interface, int port,
                          const std::string& why) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      CannotListenError(interface, port, why).what());
}

absl::StatusOr<int> bindSocket(const SockAddr& address, int type,
                               const std::string& interface, int port,
                               bool reuseAddress) {
  const int fd = ::socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int e = errno;
    return cannotListen(e, interface, port, "socket(): " + errnoText(e));
  }
  if (reuseAddress) {
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  if (::bind(fd, address.get(), address.len) != 0) {
    const int e = errno;
    ::close(fd);
    return cannotListen(e, interface, port, errnoText(e));
  }
  return fd;
}

absl::Status listenSocket(int fd, int backlog, const std::string& interface, int port) {
  if (::listen(fd, backlog) != 0) {
    const int e = errno;
    ::close(fd);
    return cannotListen(e, interface, port, "listen(): " + errnoText(e));
  }
  return absl::OkStatus();
}

}  // namespace torsion::net::internal
