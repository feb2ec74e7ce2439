#include "backends/iocp_backend.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/system_error.h"

extern "C" ULONG WINAPI RtlNtStatusToDosError(LONG status);

namespace torsion {
namespace {

// The completion key of wake-up packets. Associated handles use key 0, and
// operations are told apart by their OVERLAPPED, never by key.
constexpr ULONG_PTR kWakeKey = 1;
constexpr ULONG kBatch = 64;

// GetQueuedCompletionStatusEx's timeout: INFINITE for none, else whole
// milliseconds rounded up (a timer must never fire early), capped below
// INFINITE.
DWORD toMillis(std::optional<std::chrono::nanoseconds> timeout) {
  if (!timeout.has_value()) return INFINITE;
  const std::int64_t ns = timeout->count();
  if (ns <= 0) return 0;
  const std::int64_t ms = ns / 1'000'000 + (ns % 1'000'000 != 0 ? 1 : 0);
  return ms >= static_cast<std::int64_t>(INFINITE) ? INFINITE - 1
                                                   : static_cast<DWORD>(ms);
}

// The Win32 error of a dequeued entry. GQCSEx leaves the NTSTATUS in
// OVERLAPPED::Internal. A completion for a socket that was closed under a
// pending operation carries a code that differs between Windows and Wine
// (Wine: STATUS_HANDLES_CLOSED), so every "closed/cancelled" status is
// reported as ERROR_OPERATION_ABORTED.
std::uint32_t errorOf(const OVERLAPPED& o) {
  const auto status = static_cast<LONG>(o.Internal);
  if (status == 0) return 0;
  constexpr LONG kCancelled = static_cast<LONG>(0xC0000120);
  constexpr LONG kHandlesClosed = static_cast<LONG>(0x8000000A);
  if (status == kCancelled || status == kHandlesClosed) return ERROR_OPERATION_ABORTED;
  // Informational/warning statuses other than the above are successes.
  if (status > 0) return 0;
  return RtlNtStatusToDosError(status);
}

// What the iocp backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kIocpFeatures{
    .fdReadiness = false,
    .completionModel = true,
    .constantTimePerEvent = true,
    .regularFilesAlwaysReady = false,
    .needsReinitAfterFork = false,  // no fork() on Windows
    .maxFd = -1,
};
}  // namespace

IocpBackend::IocpBackend(HANDLE port) : Backend("iocp", kIocpFeatures), port_(port) {}

absl::StatusOr<std::unique_ptr<Backend>> IocpBackend::create() {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) {
    return statusFromWin32Error(GetLastError(), "CreateIoCompletionPort(new port)");
  }
  return std::unique_ptr<Backend>(new IocpBackend(port));
}

IocpBackend::~IocpBackend() {
  // Completions already queued (typically for sockets closed just before
  // the reactor went away) own their operations: free them, without
  // running them (their owners' reactor is being destroyed), so that what
  // the callbacks hold (a transport, its buffers) is released.
  OVERLAPPED_ENTRY entries[kBatch];
  ULONG count = 0;
  while (GetQueuedCompletionStatusEx(port_, entries, kBatch, &count, 0, FALSE) &&
         count > 0) {
    for (ULONG i = 0; i < count; ++i) {
      if (entries[i].lpOverlapped != nullptr)
        delete IocpOperation::fromOverlapped(entries[i].lpOverlapped);
    }
  }
  CloseHandle(port_);
}

absl::Status IocpBackend::setInterest(int fd, Interest previous, Interest wanted) {
  if (wanted == Interest::kNone && previous == Interest::kNone) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("iocp: setInterest(fd=", fd,
                   ") refused: IOCP is a completion backend and reports no fd readiness "
                   "(features().fdReadiness is false); use its completion transports"));
}

void IocpBackend::wakeUp() const noexcept {
  // One queued packet is enough to wake the poller; more would only be
  // drained. If posting fails the flag is cleared so a later call retries.
  if (wakePending_.exchange(true, std::memory_order_acq_rel)) return;
  if (!PostQueuedCompletionStatus(port_, 0, kWakeKey, nullptr)) {
    wakePending_.store(false, std::memory_order_release);
  }
}

absl::Status IocpBackend::associate(std::uintptr_t handle) {
  if (CreateIoCompletionPort(reinterpret_cast<HANDLE>(handle), port_, 0, 0) == nullptr) {
    return statusFromWin32Error(
        GetLastError(),
        absl::StrCat("CreateIoCompletionPort(associate handle=", handle, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> IocpBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                      ReadinessSink&) {
  OVERLAPPED_ENTRY entries[kBatch];
  ULONG count = 0;
  if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &count, toMillis(timeout),
                                   FALSE)) {
    const DWORD err = GetLastError();
    if (err == WAIT_TIMEOUT) return 0;
    return statusFromWin32Error(err, "GetQueuedCompletionStatusEx");
  }
  // Every dequeued entry goes to the sink, or its operation leaks and its
  // owner waits forever; the sink never throws (core/completion_dispatch.h
  // applies the exception policy).
  int ran = 0;
  for (ULONG i = 0; i < count; ++i) {
    const OVERLAPPED_ENTRY& e = entries[i];
    if (e.lpOverlapped == nullptr) {
      // Our wake-up packet (or a bare post): nothing to run.
      if (e.lpCompletionKey == kWakeKey)
        wakePending_.store(false, std::memory_order_release);
      continue;
    }
    ++ran;
    deliver(std::unique_ptr<CompletionOperation>(
                IocpOperation::fromOverlapped(e.lpOverlapped)),
            errorOf(*e.lpOverlapped), e.dwNumberOfBytesTransferred);
  }
  return ran;
}

}  // namespace torsion
