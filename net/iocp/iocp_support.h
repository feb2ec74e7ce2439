// torsion/net/iocp/iocp_support.h: what the IOCP transports share (internal):
// the SOCKET <-> int cast, associating a socket with the reactor's
// completion port and FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, starting an
// overlapped call whatever way it ends, and Win32 errors as ConnectionLost
// reasons. callSoonFor and the reactor-shutdown hook, which every completion
// family needs, come from net/completion_support.h.
//
// Mirrors the plumbing of twisted.internet.iocpreactor (abstract.py's
// FileHandle bookkeeping, reactor.py's handle registration); nothing here
// is public API.
//
//   absl::StatusOr<bool> skip = internal::associateSocket(reactor, s);
//   internal::startOperation(reactor, *skip, *self,
//       [self](std::uint32_t err, std::uint32_t bytes) { ... },
//       [&](OVERLAPPED* o, DWORD* bytes) {
//         DWORD flags = 0;
//         return WSARecv(s, &buf, 1, bytes, &flags, o, nullptr) == 0
//                    ? 0 : WSAGetLastError();
//       });
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_IOCP_SUPPORT_H_
#define TORSION_NET_IOCP_IOCP_SUPPORT_H_

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "backends/completion_port.h"
#include "backends/iocp_operation.h"
#include "base/system_error.h"  // win32ErrorTextAndNumber, for every user
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/completion_support.h"  // callSoonFor, ShutdownHook

namespace torsion::net::internal {

// torsion keeps sockets as int (CPython's fileno() convention on Windows).
inline SOCKET toSocket(int fd) { return static_cast<SOCKET>(static_cast<unsigned>(fd)); }
inline int toFd(SOCKET s) { return static_cast<int>(s); }

// Associates `s` with the reactor's completion port (which must exist:
// net/transports_for.cc serves only such reactors with these transports) and asks for no
// completion packet when an operation succeeds inline. Returns whether
// that mode is on (if Windows refuses it, inline successes still post a
// packet and are completed from poll() as usual). Errors name the call.
absl::StatusOr<bool> associateSocket(Reactor& reactor, SOCKET s);

// Starts one overlapped call. `call` gets the operation's OVERLAPPED and a
// byte counter and returns 0 (done inline), WSA_IO_PENDING /
// ERROR_IO_PENDING (a packet will come) or another error (failed; no
// packet). `done` runs exactly once, never from inside this function, under
// the reactor's completion policy (core/completion_dispatch.h: if it throws,
// `owner` fails): from poll() for a queued packet, else on the next
// reactor pass (callSoon) with the inline result or the synchronous error.
// The operation (and what `done` captures) lives until then.
//
// With `takeInlineSuccess` (and skipOnSuccess), an inline success is
// instead handed back: the byte count is returned, `done` is destroyed
// without running and the caller finishes the work itself, synchronously
// (a send that the kernel took at once, like the readiness transport's
// direct send()). Otherwise nullopt.
std::optional<std::uint32_t> startOperation(
    Reactor& reactor, bool skipOnSuccess, CompletionOwner& owner,
    IocpOperation::Callback done, absl::FunctionRef<int(OVERLAPPED*, DWORD*)> call,
    bool takeInlineSuccess = false);

// After a receive returned 0 bytes: whether the peer reset the connection
// rather than closing it. Windows fails the receive with a reset instead;
// Wine 8 reports a reset as end-of-file, and WSAPoll then shows POLLERR
// (net/socket_ops.h's peerResetAtEof makes the same check for the
// readiness transports).
bool peerResetAtEof(SOCKET s);

// True for the statuses a completion carries when its operation was
// cancelled or its socket closed (ERROR_OPERATION_ABORTED after the
// backend's mapping; also the winsock spellings a synchronous failure uses).
bool isAborted(std::uint32_t error);

// ConnectionLost("ConnectionLost: <call>: <text>").
LostReason lostFromError(const char* call, std::uint32_t error);

// Closes `s` (if valid) after cancelling its pending operations; with
// `reset`, SO_LINGER {1, 0} first so the peer gets RST. Sets s to
// INVALID_SOCKET.
void cancelAndClose(SOCKET& s, bool reset = false);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_SUPPORT_H_
