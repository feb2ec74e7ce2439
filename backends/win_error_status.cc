#include "backends/win_error_status.h"

#include <windows.h>
#include <winsock2.h>

#include <string>

namespace torsion {
namespace {

absl::StatusCode codeFor(DWORD err) {
  switch (err) {
    case ERROR_INVALID_HANDLE:
    case WSAENOTSOCK:
      return absl::StatusCode::kFailedPrecondition;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case WSAENOBUFS:
    case WSAEMFILE:
      return absl::StatusCode::kResourceExhausted;
    case ERROR_INVALID_PARAMETER:
    case WSAEINVAL:
      return absl::StatusCode::kInvalidArgument;
    case ERROR_OPERATION_ABORTED:
      return absl::StatusCode::kCancelled;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

std::string WinErrorText(std::uint32_t err) {
  char buffer[512];
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, err, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                           buffer, sizeof buffer, nullptr);
  // FormatMessage ends its text with ".\r\n"; ours is one mid-sentence line.
  while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r' ||
                   buffer[n - 1] == ' ' || buffer[n - 1] == '.'))
    --n;
  if (n == 0) return "Windows error " + std::to_string(err);
  return std::string(buffer, n);
}

absl::Status WinErrorToStatus(std::uint32_t err, std::string_view call) {
  std::string message(call);
  message += " failed: ";
  message += WinErrorText(err);
  message += " (error " + std::to_string(err) + ")";
  return absl::Status(codeFor(err), message);
}

}  // namespace torsion
