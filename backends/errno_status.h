// torsion/backends/errno_status.h: turns a failed system call into a Status.
//
// The one way backends report OS errors, so that every message names the
// call, the descriptor and the reason (Twisted reports the same facts through
// OSError's errno and strerror):
//
//   if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
//     return ErrnoToStatus(errno, "epoll_ctl(MOD, fd=" + std::to_string(fd) + ")");
//   }
//   // -> NotFound: "epoll_ctl(MOD, fd=7) failed: No such file or directory (errno 2)"
//
// Thread-safety: safe from any thread (uses strerror_r, not strerror).
#ifndef TORSION_BACKENDS_ERRNO_STATUS_H_
#define TORSION_BACKENDS_ERRNO_STATUS_H_

#include <string_view>

#include "absl/status/status.h"

namespace torsion {

// Returns a non-OK status whose code follows absl::ErrnoToStatusCode(err)
// (EINVAL -> InvalidArgument, ENOENT -> NotFound, ENOMEM -> ResourceExhausted,
// EBADF -> FailedPrecondition, ...) and whose message is
// "<call> failed: <strerror(err)> (errno <err>)". `call` should name the
// system call and its salient arguments, such as the fd. An `err` of 0 yields
// an Unknown status rather than OK, so a caller that forgot to read errno
// still reports a failure.
absl::Status ErrnoToStatus(int err, std::string_view call);

}  // namespace torsion

#endif  // TORSION_BACKENDS_ERRNO_STATUS_H_
