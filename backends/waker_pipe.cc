// Waker where eventfd is missing (BSD, macOS): the classic self-pipe.
// pipe() + fcntl() rather than pipe2(), which macOS lacks.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "backends/waker.h"
#include "base/system_error.h"

namespace torsion::internal {
namespace {

absl::Status makeNonBlockingCloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return statusFromErrno(errno,
                           "fcntl(F_SETFL, O_NONBLOCK, fd=" + std::to_string(fd) + ")");
  }
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return statusFromErrno(errno,
                           "fcntl(F_SETFD, FD_CLOEXEC, fd=" + std::to_string(fd) + ")");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Waker> Waker::create() {
  int fds[2];
  if (::pipe(fds) != 0) return statusFromErrno(errno, "pipe()");
  Waker waker(fds[0], fds[1]);  // closes both on an early return
  for (int fd : fds) {
    if (absl::Status s = makeNonBlockingCloexec(fd); !s.ok()) return s;
  }
  return waker;
}

void Waker::wakeUp() const noexcept {
  const int savedErrno = errno;  // may run inside a signal handler
  const char byte = 'x';
  // EAGAIN means the pipe is full: still readable, still awake.
  [[maybe_unused]] ssize_t n = ::write(writeFd_, &byte, 1);
  errno = savedErrno;
}

void Waker::drain() noexcept {
  char buf[256];
  while (::read(readFd_, buf, sizeof buf) > 0) {
  }
}

}  // namespace torsion::internal
