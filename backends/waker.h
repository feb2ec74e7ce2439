// torsion/backends/waker.h: the descriptor that makes a blocked poll return.
//
// Mirrors twisted.internet.posixbase._UnixWaker / _SocketWaker: another
// thread (or a signal handler) writes to it, the backend watches its read
// end like any other descriptor, drains it, and never reports it to the
// reactor. On Linux it is one eventfd; elsewhere a non-blocking self-pipe.
// Which one is compiled is a Bazel select() (waker_eventfd.cc or
// waker_pipe.cc), not an #if.
//
//   absl::StatusOr<internal::Waker> waker = internal::Waker::create();
//   watch(waker->fd());                 // EPOLLIN / POLLIN / FD_SET
//   other thread: waker->wakeUp();
//   poll loop:    if (fd == waker->fd()) waker->drain();
//
// Thread-safety: wakeUp() may be called from any thread and from signal
// handlers; everything else belongs to the thread that polls.
#ifndef TORSION_BACKENDS_WAKER_H_
#define TORSION_BACKENDS_WAKER_H_

#include "absl/status/statusor.h"

namespace torsion::internal {

class Waker {
 public:
  // Opens the descriptor(s), close-on-exec and non-blocking. Errors name the
  // failing call ("eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK) failed: ...").
  static absl::StatusOr<Waker> create();

  Waker(Waker&& other) noexcept;
  Waker& operator=(Waker&& other) noexcept;
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  ~Waker();

  // The descriptor to watch for readability.
  int fd() const noexcept { return readFd_; }

  // Makes fd() readable. Async-signal-safe: one write(), errno preserved. A
  // full pipe or saturated counter already means "awake", so that is fine.
  void wakeUp() const noexcept;

  // Consumes every pending wake-up so that fd() is no longer readable.
  void drain() noexcept;

 private:
  Waker(int readFd, int writeFd) : readFd_(readFd), writeFd_(writeFd) {}
  void close() noexcept;

  int readFd_ = -1;
  int writeFd_ = -1;  // equal to readFd_ for an eventfd
};

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_WAKER_H_
