#include "base/system_error.h"

#include <errno.h>
#include <string.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#endif

namespace torsion {
namespace {

absl::string_view view(std::string_view s) { return absl::string_view(s.data(), s.size()); }

#ifndef _WIN32
// strerror_r comes in a GNU flavour (returns the text, maybe not in `buf`)
// and an XSI one (fills `buf`, returns int). Overloading on the return type
// accepts whichever the C library declares.
[[maybe_unused]] const char* describe(const char* gnuResult, const char*) {
  return gnuResult;
}
[[maybe_unused]] const char* describe(int xsiResult, const char* buf) {
  return xsiResult == 0 ? buf : "unknown error";
}
#endif

}  // namespace

std::string errnoText(int err) {
  char buf[256] = {};
#ifdef _WIN32
  if (strerror_s(buf, sizeof buf, err) != 0) return "unknown error";
  return buf;
#else
  return describe(strerror_r(err, buf, sizeof buf), buf);
#endif
}

absl::Status statusFromErrno(int err, std::string_view call) {
  std::string message =
      absl::StrCat(view(call), " failed: ", errnoText(err), " (errno ", err, ")");
  if (err == 0) return absl::UnknownError(message);
  return absl::Status(absl::ErrnoToStatusCode(err), message);
}

#ifdef _WIN32

namespace {

// The errno a Win32 or Winsock error stands for, or 0 for none.
int posixCounterpart(std::uint32_t err) {
  switch (err) {
    // Winsock's EBADF: a closed socket handle is reported as "not a socket".
    case WSAENOTSOCK:
    case ERROR_INVALID_HANDLE:
      return EBADF;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
      return ENOMEM;
    case ERROR_INVALID_PARAMETER:
      return EINVAL;
    case ERROR_OPERATION_ABORTED:  // the same number as WSA_OPERATION_ABORTED
      return ECANCELED;
    case WSAEINTR: return EINTR;
    case WSAEACCES: return EACCES;
    case WSAEFAULT: return EFAULT;
    case WSAEINVAL: return EINVAL;
    case WSAEMFILE: return EMFILE;
    case WSAEWOULDBLOCK: return EWOULDBLOCK;
    case WSAEINPROGRESS: return EINPROGRESS;
    case WSAEALREADY: return EALREADY;
    case WSAEDESTADDRREQ: return EDESTADDRREQ;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEPROTOTYPE: return EPROTOTYPE;
    case WSAENOPROTOOPT: return ENOPROTOOPT;
    case WSAEPROTONOSUPPORT: return EPROTONOSUPPORT;
    case WSAEOPNOTSUPP: return EOPNOTSUPP;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAENETDOWN: return ENETDOWN;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAENETRESET: return ENETRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEISCONN: return EISCONN;
    case WSAENOTCONN: return ENOTCONN;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAELOOP: return ELOOP;
    case WSAENAMETOOLONG: return ENAMETOOLONG;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    default:
      return 0;
  }
}

}  // namespace

absl::StatusCode statusCodeFromWin32Error(std::uint32_t err) {
  if (const int posix = posixCounterpart(err); posix != 0) {
    return absl::ErrnoToStatusCode(posix);
  }
  switch (err) {
    // No errno in the Windows C library to stand for them; POSIX's
    // ESHUTDOWN maps the same way.
    case WSAESHUTDOWN:
    case WSANOTINITIALISED:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kUnknown;
  }
}

std::string win32ErrorText(std::uint32_t err) {
  char buffer[512];
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, err, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                           buffer, sizeof buffer, nullptr);
  // FormatMessage ends its text with ".\r\n"; ours is one mid-sentence line.
  while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r' ||
                   buffer[n - 1] == ' ' || buffer[n - 1] == '.'))
    --n;
  if (n == 0) return absl::StrCat("Windows error ", err);
  return std::string(buffer, n);
}

std::string win32ErrorTextAndNumber(std::uint32_t err) {
  return absl::StrCat(win32ErrorText(err), " (error ", err, ")");
}

absl::Status statusFromWin32Error(std::uint32_t err, std::string_view call) {
  return absl::Status(statusCodeFromWin32Error(err),
                      absl::StrCat(view(call), " failed: ", win32ErrorTextAndNumber(err)));
}

#endif  // _WIN32

}  // namespace torsion
