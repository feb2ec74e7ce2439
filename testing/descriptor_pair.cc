#include "testing/descriptor_pair.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace torsion::testing {
namespace {

[[noreturn]] void die(const char* call) {
  std::fprintf(stderr, "torsion testing: %s failed: %s\n", call, std::strerror(errno));
  std::abort();
}

// fcntl() rather than SOCK_NONBLOCK or pipe2(): macOS has neither, and the
// kqueue emulation's conformance test is meant to run there too.
void makeNonBlockingCloseOnExec(int fd) {
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
    die("fcntl(O_NONBLOCK)");
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) die("fcntl(FD_CLOEXEC)");
}

}  // namespace

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void OwnedFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

SocketPair SocketPair::make() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair");
  for (int fd : fds) makeNonBlockingCloseOnExec(fd);
  return SocketPair{OwnedFd(fds[0]), OwnedFd(fds[1])};
}

SocketPair SocketPair::makeTcp() {
  sockaddr_in addr{};
  OwnedFd listener = loopbackListener(&addr, 1);
  OwnedFd client = connectTo(addr, false);
  if (client.get() < 0) die("connect(127.0.0.1)");
  OwnedFd server(::accept(listener.get(), nullptr, nullptr));
  if (server.get() < 0) die("accept");
  makeNonBlockingCloseOnExec(client.get());
  makeNonBlockingCloseOnExec(server.get());
  return SocketPair{std::move(client), std::move(server)};
}

OwnedFd loopbackListener(sockaddr_in* bound, int backlog) {
  OwnedFd s(::socket(AF_INET, SOCK_STREAM, 0));
  if (s.get() < 0) die("socket(AF_INET)");
  *bound = sockaddr_in{};
  bound->sin_family = AF_INET;
  bound->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof *bound;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(bound), len) != 0)
    die("bind(127.0.0.1)");
  if (::listen(s.get(), backlog) != 0) die("listen");
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(bound), &len) != 0) {
    die("getsockname");
  }
  return s;
}

OwnedFd connectTo(const sockaddr_in& addr, bool nonBlocking) {
  OwnedFd c(::socket(AF_INET, SOCK_STREAM, 0));
  if (c.get() < 0) die("socket(AF_INET)");
  if (nonBlocking) makeNonBlockingCloseOnExec(c.get());
  const int rc =
      ::connect(c.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno != EINPROGRESS) return OwnedFd();
  return c;
}

Pipe Pipe::make() {
  int fds[2] = {-1, -1};
  if (::pipe(fds) != 0) die("pipe");
  for (int fd : fds) makeNonBlockingCloseOnExec(fd);
  return Pipe{OwnedFd(fds[0]), OwnedFd(fds[1])};
}

OwnedFd makeRegularFile() {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/torsion-test-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) die("mkstemp");
  ::unlink(path.c_str());
  return OwnedFd(fd);
}

bool writeByte(int fd, char byte) { return ::write(fd, &byte, 1) == 1; }

}  // namespace torsion::testing
