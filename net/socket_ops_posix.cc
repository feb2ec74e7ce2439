// POSIX side of net/socket_ops.h: errno, SOCK_NONBLOCK | SOCK_CLOEXEC,
// sendmsg with MSG_NOSIGNAL.
#include <fcntl.h>

#include "net/socket_ops.h"

namespace torsion::net::internal {

void ensureSocketsInitialized() {}

int lastSocketError() { return errno; }

int openSocket(int family, int type) {
  return ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int acceptSocket(int listener, sockaddr* address, socklen_t* length) {
  return ::accept4(listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int closeSocket(int fd) { return ::close(fd); }

bool setNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::ptrdiff_t sendIoVec(int fd, IoVec* pieces, int count) {
  // The common case, one piece, takes the cheaper send().
  if (count == 1) {
    return ::send(fd, pieces[0].iov_base, pieces[0].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  msghdr m{};
  m.msg_iov = pieces;
  m.msg_iovlen = static_cast<std::size_t>(count);
  return ::sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int shutdownWrite(int fd) { return ::shutdown(fd, SHUT_WR); }

bool peerResetAtEof(int fd) {
  (void)fd;
  return false;
}

int pendingSocketError(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return 0;
  return error;
}

bool isWouldBlock(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

bool isConnectInProgress(int error) {
  // EINTR from a non-blocking connect() means it goes on in the
  // background, like EINPROGRESS: never call connect() twice.
  return error == EINPROGRESS || error == EINTR;
}

bool isTransientAcceptError(int error) {
  return error == EINTR || error == ECONNABORTED || error == EPROTO || error == EPERM;
}

bool isOutOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace torsion::net::internal
