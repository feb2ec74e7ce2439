// torsion/base/system_error.h: turns a failed system call into a Status.
//
// The one mapping from OS error numbers (errno, Win32 and Winsock codes) to
// absl::Status in the tree, so that every layer reports the same failure
// with the same code. Every message names the call, the descriptor where
// there is one, and the reason (Twisted reports the same facts through
// OSError's errno and strerror, WindowsError's winerror):
//
//   if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
//     return statusFromErrno(errno, "epoll_ctl(MOD, fd=" + std::to_string(fd) + ")");
//   }
//   // -> NotFound: "epoll_ctl(MOD, fd=7) failed: No such file or directory (errno 2)"
//
// The names say which way they convert, and none is absl::ErrnoToStatus's
// (which builds another message) under torsion's namespace.
//
// Thread-safety: safe from any thread (strerror_r / strerror_s /
// FormatMessage, never strerror).
#ifndef TORSION_BASE_SYSTEM_ERROR_H_
#define TORSION_BASE_SYSTEM_ERROR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace torsion {

// The C library's text for errno value `err` ("No such file or directory").
std::string errnoText(int err);

// Returns a non-OK status whose code follows absl::ErrnoToStatusCode(err)
// (EINVAL -> InvalidArgument, ENOENT -> NotFound, ENOMEM -> ResourceExhausted,
// EBADF -> FailedPrecondition, ...) and whose message is
// "<call> failed: <errnoText(err)> (errno <err>)". `call` should name the
// system call and its salient arguments, such as the fd. An `err` of 0 yields
// an Unknown status rather than OK, so a caller that forgot to read errno
// still reports a failure.
absl::Status statusFromErrno(int err, std::string_view call);

#ifdef _WIN32

// The status code for a Win32 or Winsock error: the code
// absl::ErrnoToStatusCode gives the POSIX errno it stands for
// (WSAECONNREFUSED as ECONNREFUSED: Unavailable; ERROR_INVALID_PARAMETER as
// EINVAL; ERROR_OPERATION_ABORTED as ECANCELED), so one failure has one
// code on every platform. WSAENOTSOCK stands for EBADF, not ENOTSOCK:
// Winsock reports a closed socket handle with it, where POSIX says EBADF
// (FailedPrecondition). WSAESHUTDOWN and WSANOTINITIALISED are
// FailedPrecondition; anything else, 0 included, is Unknown.
absl::StatusCode statusCodeFromWin32Error(std::uint32_t err);

// The system's text for a Win32 or Winsock error code, on one line and
// without its final period, so it reads mid-sentence ("An existing
// connection was forcibly closed by the remote host"); "Windows error <err>"
// when the system has none. The tree's one FormatMessage call.
std::string win32ErrorText(std::uint32_t err);

// win32ErrorText(err) followed by " (error <err>)".
std::string win32ErrorTextAndNumber(std::uint32_t err);

// A non-OK status with statusCodeFromWin32Error(err) and the message
// "<call> failed: <win32ErrorTextAndNumber(err)>". An `err` of 0 yields
// Unknown, never OK.
absl::Status statusFromWin32Error(std::uint32_t err, std::string_view call);

#endif  // _WIN32

}  // namespace torsion

#endif  // TORSION_BASE_SYSTEM_ERROR_H_
