// torsion/backends/iocp_backend.h: the Windows I/O completion port backend.
//
// Mirrors twisted.internet.iocpreactor (reactor.py's doIteration and the
// iocpsupport CompletionPort): one completion port per reactor; overlapped
// operations started by transports complete through it. It is a
// *completion* backend (backends/completion_port.h): features() says
// fdReadiness = false and completionModel = true, completionPort() is the
// backend itself, and setInterest() refuses every descriptor, as Twisted's
// IOCPReactor refuses addReader/addWriter for sockets.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("iocp");
//   CompletionPort* port = (*b)->completionPort();
//   port->setSink(&sink);                       // the reactor does this
//   port->associate(socket);
//   auto op = std::make_unique<IocpOperation>(owner, [](std::uint32_t err,
//                                                       std::uint32_t bytes) {...});
//   WSARecv(socket, &buf, 1, nullptr, &flags, op.release()->overlapped(), nullptr);
//   (*b)->poll(std::chrono::milliseconds(10), readinessSink);  // sink runs it
//
// poll() waits with GetQueuedCompletionStatusEx for at most the reactor's
// timeout (rounded up to whole milliseconds, so a timer never fires early)
// and hands each dequeued operation to the port's sink; it runs no user
// code itself and never throws. wakeUp() posts a packet with
// PostQueuedCompletionStatus, which a blocked poll() consumes without
// reporting it. Windows only (built for @platforms//os:windows; tested
// under Wine 8, not on Windows).
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
#ifndef TORSION_BACKENDS_IOCP_BACKEND_H_
#define TORSION_BACKENDS_IOCP_BACKEND_H_

#include <windows.h>
#include <winsock2.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "backends/completion_port.h"
#include "backends/iocp_operation.h"

namespace torsion {

class IocpBackend final : public Backend, public CompletionPort {
 public:
  // Creates the completion port. Errors name CreateIoCompletionPort.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  // Deletes the operations of completions still queued (without running
  // them), then closes the port. Operations still pending in the kernel
  // are leaked: their handles must be closed first.
  ~IocpBackend() override;

  // Always FailedPrecondition for a change to a non-empty interest: IOCP
  // reports completions, not readiness (use the completion transports).
  // Removing an interest that was never set (wanted == kNone) is OK.
  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int) noexcept override {}

  // Dequeues up to 64 completions per call (GetQueuedCompletionStatusEx),
  // hands each operation to the port's sink and returns how many there
  // were. Wake-up packets are consumed and not counted. `sink` is unused:
  // there is no readiness to report.
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;

  // Posts one wake-up packet unless one is already queued.
  void wakeUp() const noexcept override;

  CompletionPort* completionPort() noexcept override { return this; }

  // Associates a socket or file handle (a SOCKET or HANDLE) with the port.
  // Its overlapped operations must then be IocpOperations. Errors name the
  // call.
  absl::Status associate(std::uintptr_t handle) override;

  HANDLE port() const noexcept { return port_; }

 private:
  explicit IocpBackend(HANDLE port);

  HANDLE port_;
  mutable std::atomic<bool> wakePending_{false};
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_IOCP_BACKEND_H_
