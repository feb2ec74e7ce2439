// torsion/backends/iocp_backend.h: the Windows I/O completion port backend.
//
// Mirrors twisted.internet.iocpreactor (reactor.py's doIteration and the
// iocpsupport CompletionPort): one completion port per reactor; overlapped
// operations started by transports complete through it, and each
// completion runs the callback stored with its OVERLAPPED. It is a
// *completion* backend (DESIGN.md §2): features() says fdReadiness = false
// and completionModel = true, and setInterest() refuses every descriptor,
// as Twisted's IOCPReactor refuses addReader/addWriter for sockets.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("iocp");
//   auto* iocp = static_cast<IocpBackend*>(b->get());
//   iocp->associate(reinterpret_cast<HANDLE>(socket));
//   auto* op = new IocpOperation([](std::uint32_t err, std::uint32_t bytes) {...});
//   WSARecv(socket, &buf, 1, nullptr, &flags, op->overlapped(), nullptr);
//   iocp->poll(std::chrono::milliseconds(10), sink);   // runs op's callback
//
// poll() waits with GetQueuedCompletionStatusEx for at most the reactor's
// timeout (rounded up to whole milliseconds, so a timer never fires early);
// wakeUp() posts a packet with PostQueuedCompletionStatus, which a blocked
// poll() consumes without reporting it. Windows only (built for
// @platforms//os:windows; tested under Wine 8, not on Windows).
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
#ifndef TORSION_BACKENDS_IOCP_BACKEND_H_
#define TORSION_BACKENDS_IOCP_BACKEND_H_

#include <windows.h>
#include <winsock2.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"

namespace torsion {

// One overlapped operation in flight. Create it on the heap, pass
// overlapped() to the Win32 call, and let the backend own it from then on:
// poll() runs the callback once with the Win32 error (0 on success;
// ERROR_OPERATION_ABORTED after CancelIoEx or closesocket) and the byte
// count, then deletes it. If the call fails synchronously (no completion
// will be queued), delete it yourself. Likewise, on a handle whose
// completion mode has FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
// (SetFileCompletionNotificationModes), a call that succeeds inline queues
// no packet either: the caller completes the operation itself and deletes
// it (net/iocp/ does so on the next reactor pass, never re-entrantly).
class IocpOperation {
 public:
  using Callback = absl::AnyInvocable<void(std::uint32_t error, std::uint32_t bytes)>;

  explicit IocpOperation(Callback callback) : callback_(std::move(callback)) {}
  IocpOperation(const IocpOperation&) = delete;
  IocpOperation& operator=(const IocpOperation&) = delete;

  OVERLAPPED* overlapped() noexcept { return &overlapped_; }

  // The operation that owns `o` (the OVERLAPPED is the first member).
  static IocpOperation* fromOverlapped(OVERLAPPED* o) noexcept {
    return reinterpret_cast<IocpOperation*>(o);
  }

  void complete(std::uint32_t error, std::uint32_t bytes) { callback_(error, bytes); }

 private:
  OVERLAPPED overlapped_{};  // first: fromOverlapped() relies on it
  Callback callback_;
};

class IocpBackend final : public Backend {
 public:
  // Creates the completion port. Errors name CreateIoCompletionPort.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  // Deletes the operations of completions still queued (without running
  // them), then closes the port. Operations still pending in the kernel
  // are leaked: their handles must be closed first.
  ~IocpBackend() override;

  std::string_view name() const noexcept override { return "iocp"; }
  BackendFeatures features() const noexcept override;

  // Always FailedPrecondition for a change to a non-empty interest: IOCP
  // reports completions, not readiness (use the completion transports).
  // Removing an interest that was never set (wanted == kNone) is OK.
  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int) noexcept override {}

  // Dequeues up to 64 completions per call (GetQueuedCompletionStatusEx),
  // runs each operation's callback and returns how many ran. If a callback
  // throws, the rest of the batch still runs and the first exception is
  // rethrown afterwards. Wake-up
  // packets are consumed and not counted. `sink` is unused: there is no
  // readiness to report.
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;

  // Posts one wake-up packet unless one is already queued.
  void wakeUp() const noexcept override;

  // Associates a socket or file handle with the port. Its overlapped
  // operations must then be IocpOperations. Errors name the call. Const:
  // it changes the handle, not the backend, and transports reach the
  // backend through Reactor::backend(), which is const.
  absl::Status associate(HANDLE handle) const;

  HANDLE port() const noexcept { return port_; }

 private:
  explicit IocpBackend(HANDLE port) : port_(port) {}

  HANDLE port_;
  mutable std::atomic<bool> wakePending_{false};
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_IOCP_BACKEND_H_
