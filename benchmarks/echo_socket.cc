#include "benchmarks/echo_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"

namespace torsion::bench {
namespace {

absl::Status errnoStatus(const std::string& what) {
  return absl::InternalError(what + " failed: " + std::strerror(errno));
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void setNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

absl::StatusOr<Listener> listenLoopback() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errnoStatus("socket()");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, SOMAXCONN) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    absl::Status status = errnoStatus("bind/listen on 127.0.0.1:0");
    close(fd);
    return status;
  }
  return Listener{fd, ntohs(address.sin_port)};
}

int acceptNonBlocking(int listenFd) {
  const int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) setNoDelay(fd);
  return fd;
}

absl::StatusOr<int> connectLoopback(int port, int rcvbuf) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errnoStatus("socket()");
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    absl::Status status = errnoStatus("setsockopt(SO_RCVBUF)");
    close(fd);
    return status;
  }
  const sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    absl::Status status = errnoStatus("connect(127.0.0.1:" + std::to_string(port) + ")");
    close(fd);
    return status;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  setNoDelay(fd);
  return fd;
}

EchoConnection::EchoConnection(int fd) : fd_(fd), buffer_(kEchoChunk) {}

EchoConnection::~EchoConnection() { close(fd_); }

EchoConnection::Result EchoConnection::onReadable() {
  const ssize_t got = read(fd_, buffer_.data(), buffer_.size());
  if (got == 0) return kClosed;
  if (got < 0) return errno == EAGAIN || errno == EINTR ? kOpen : kClosed;
  const ssize_t sent =
      send(fd_, buffer_.data(), static_cast<std::size_t>(got), MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN) return kClosed;
  const std::size_t done = sent < 0 ? 0 : static_cast<std::size_t>(sent);
  if (done < static_cast<std::size_t>(got)) {
    pending_.assign(buffer_.data() + done, buffer_.data() + got);
    pendingStart_ = 0;
  }
  return kOpen;
}

EchoConnection::Result EchoConnection::onWritable() { return writePending(); }

EchoConnection::Result EchoConnection::writePending() {
  while (wantsWrite()) {
    const ssize_t sent = send(fd_, pending_.data() + pendingStart_,
                              pending_.size() - pendingStart_, MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EINTR ? kOpen : kClosed;
    pendingStart_ += static_cast<std::size_t>(sent);
  }
  pending_.clear();
  pendingStart_ = 0;
  return kOpen;
}

}  // namespace torsion::bench
