// torsion/backends/win_error_status.h: turns a failed Win32/Winsock call into
// a Status (the Windows counterpart of errno_status.h).
//
// Twisted's iocpreactor reports the same facts through WindowsError's winerror
// and strerror. Every message names the call and the reason:
//
//   if (!PostQueuedCompletionStatus(port, 0, key, nullptr)) {
//     return WinErrorToStatus(GetLastError(), "PostQueuedCompletionStatus");
//   }
//   // -> Unknown: "PostQueuedCompletionStatus failed: The handle is invalid.
//   //    (error 6)"
//
// Windows only (the target is compatible with @platforms//os:windows).
// Thread-safety: safe from any thread.
#ifndef TORSION_BACKENDS_WIN_ERROR_STATUS_H_
#define TORSION_BACKENDS_WIN_ERROR_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace torsion {

// A non-OK status "<call> failed: <system message> (error <err>)". The code
// follows the error where the mapping is obvious (ERROR_INVALID_HANDLE and
// WSAENOTSOCK -> FailedPrecondition, ERROR_NOT_ENOUGH_MEMORY/WSAENOBUFS ->
// ResourceExhausted, ERROR_INVALID_PARAMETER/WSAEINVAL -> InvalidArgument,
// ERROR_OPERATION_ABORTED -> Cancelled), else Unknown. An `err` of 0 also
// yields Unknown, never OK.
absl::Status WinErrorToStatus(std::uint32_t err, std::string_view call);

// The system's text for a Win32 or Winsock error code, on one line and
// without its final period, so it reads mid-sentence ("An existing
// connection was forcibly closed by the remote host"); "Windows error <err>"
// when the system has none. The one FormatMessage call of the tree: net/
// uses it for socket errors too.
std::string WinErrorText(std::uint32_t err);

}  // namespace torsion

#endif  // TORSION_BACKENDS_WIN_ERROR_STATUS_H_
