// Waker on Linux: one eventfd, whose 8-byte counter write/read is exactly a
// "wake up" / "drain" pair, for one descriptor instead of a pipe's two.
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "backends/waker.h"
#include "base/system_error.h"

namespace torsion::internal {

absl::StatusOr<Waker> Waker::create() {
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return statusFromErrno(errno, "eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK)");
  return Waker(fd, fd);
}

void Waker::wakeUp() const noexcept {
  const int savedErrno = errno;  // may run inside a signal handler
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: still readable, still awake.
  [[maybe_unused]] ssize_t n = ::write(writeFd_, &one, sizeof one);
  errno = savedErrno;
}

void Waker::drain() noexcept {
  std::uint64_t count;
  // One read resets the counter to zero however many wake-ups it holds.
  [[maybe_unused]] ssize_t n = ::read(readFd_, &count, sizeof count);
}

}  // namespace torsion::internal
