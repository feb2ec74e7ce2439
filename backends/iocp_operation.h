// torsion/backends/iocp_operation.h: an overlapped operation of the IOCP
// backend (backends/iocp_backend.h), the one IOCP type the transports need.
//
//   auto op = std::make_unique<IocpOperation>(owner, [](std::uint32_t error,
//                                                       std::uint32_t bytes) {...});
//   WSARecv(s, &buf, 1, nullptr, &flags, op->overlapped(), nullptr);
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_BACKENDS_IOCP_OPERATION_H_
#define TORSION_BACKENDS_IOCP_OPERATION_H_

#include <windows.h>

#include "backends/completion_port.h"

namespace torsion {

// One overlapped operation in flight. Create it on the heap, pass
// overlapped() to the Win32 call, and let the port own it from then on:
// poll() hands it to the sink once with the Win32 error (0 on success;
// ERROR_OPERATION_ABORTED after CancelIoEx or closesocket) and the byte
// count, then deletes it. If the call fails synchronously (no completion
// will be queued), the caller completes it (CompletionPort::deliver).
// Likewise, on a handle whose completion mode has
// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (SetFileCompletionNotificationModes),
// a call that succeeds inline queues no packet either (net/iocp/ delivers
// such operations on the next reactor pass, never re-entrantly).
class IocpOperation final : public CompletionOperation {
 public:
  using CompletionOperation::CompletionOperation;

  OVERLAPPED* overlapped() noexcept { return &slot_.overlapped; }

  // The operation that owns `o`, which must come from overlapped().
  static IocpOperation* fromOverlapped(OVERLAPPED* o) noexcept {
    return reinterpret_cast<Slot*>(o)->op;
  }

 private:
  // Standard layout with the OVERLAPPED first, so that the pointer the
  // kernel hands back leads to the operation (this class has a vtable).
  struct Slot {
    OVERLAPPED overlapped;
    IocpOperation* op;
  };
  Slot slot_{{}, this};
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_IOCP_OPERATION_H_
