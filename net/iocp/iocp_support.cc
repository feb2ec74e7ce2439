#include "net/iocp/iocp_support.h"

#include <memory>
#include <utility>

#include "base/system_error.h"
#include "core/errors.h"

namespace torsion::net::internal {

absl::StatusOr<bool> associateSocket(Reactor& reactor, SOCKET s) {
  if (absl::Status st = reactor.completionPort()->associate(s); !st.ok()) return st;
  // Inline successes then cost no trip through the port (Twisted's
  // iocpsupport does not do this; libuv and .NET do). Only for sockets
  // whose provider hands out real NT handles (XP1_IFS_HANDLES): through a
  // non-IFS layered provider an inline success may still post a packet,
  // and the operation would complete twice (libuv checks the same). If the
  // mode is refused, completions simply keep coming through poll().
  WSAPROTOCOL_INFOW info{};
  int len = sizeof info;
  if (::getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info),
                   &len) != 0 ||
      (info.dwServiceFlags1 & XP1_IFS_HANDLES) == 0) {
    return false;
  }
  return SetFileCompletionNotificationModes(reinterpret_cast<HANDLE>(s),
                                            FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) != 0;
}

std::optional<std::uint32_t> startOperation(
    Reactor& reactor, bool skipOnSuccess, CompletionOwner& owner,
    IocpOperation::Callback done, absl::FunctionRef<int(OVERLAPPED*, DWORD*)> call,
    bool takeInlineSuccess) {
  auto op = std::make_unique<IocpOperation>(owner, std::move(done));
  DWORD bytes = 0;
  const int rc = call(op->overlapped(), &bytes);
  if (rc == WSA_IO_PENDING || rc == ERROR_IO_PENDING || (rc == 0 && !skipOnSuccess)) {
    // A packet will come: poll() runs and deletes the operation.
    (void)op.release();
    return std::nullopt;
  }
  if (rc == 0 && takeInlineSuccess) return static_cast<std::uint32_t>(bytes);
  // No packet: finish it ourselves, on the next pass, so that the owner
  // never sees its completion inside the call that started it.
  const std::uint32_t error = static_cast<std::uint32_t>(rc);
  const std::uint32_t n = rc == 0 ? static_cast<std::uint32_t>(bytes) : 0;
  reactor.callSoon([port = reactor.completionPort(), op = std::move(op), error,
                    n]() mutable { port->deliver(std::move(op), error, n); });
  return std::nullopt;
}

bool peerResetAtEof(SOCKET s) {
  WSAPOLLFD p{};
  p.fd = s;
  p.events = POLLRDNORM;
  // A graceful close leaves POLLHUP only; a reset adds POLLERR.
  return WSAPoll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

bool isAborted(std::uint32_t error) {
  return error == ERROR_OPERATION_ABORTED || error == WSA_OPERATION_ABORTED ||
         error == WSAENOTSOCK || error == WSAEINTR;
}

LostReason lostFromError(const char* call, std::uint32_t error) {
  return std::make_exception_ptr(ConnectionLost("ConnectionLost: " + std::string(call) +
                                                ": " + win32ErrorTextAndNumber(error)));
}

void cancelAndClose(SOCKET& s, bool reset) {
  if (s == INVALID_SOCKET) return;
  if (reset) {
    // SO_LINGER {on, 0}: closesocket() sends RST and drops unsent data.
    linger l{1, 0};
    ::setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
  }
  // Pending operations complete with ERROR_OPERATION_ABORTED (Wine:
  // STATUS_HANDLES_CLOSED, mapped to the same by the backend).
  CancelIoEx(reinterpret_cast<HANDLE>(s), nullptr);
  ::closesocket(s);
  s = INVALID_SOCKET;
}

}  // namespace torsion::net::internal
