// torsion/backends/completion_port.h: what a completion backend offers the
// transports, in terms that name no operating system.
//
// A readiness backend reports "descriptor N is readable" and the reactor's
// FdDispatcher (core/fd_dispatch.h) calls the transport. A completion
// backend reports "operation X finished with (error, bytes)". Either way
// the backend runs no user code: a completion backend hands each finished
// operation to the CompletionSink the reactor installed
// (core/completion_dispatch.h), which runs it under the one exception
// policy, and then deletes it.
//
// Backend::completionPort() is nullptr for readiness backends; the
// transports are chosen by that, once per reactor (net/transports_for.h).
//
//   CompletionPort* port = reactor.completionPort();    // IOCP: non-null
//   absl::Status s = port->associate(socketHandle);
//   // ...start an operation whose packet comes through the port...
//   port->deliver(std::move(op), error, bytes);          // finished inline
//
// Thread-safety: reactor thread only.
#ifndef TORSION_BACKENDS_COMPLETION_PORT_H_
#define TORSION_BACKENDS_COMPLETION_PORT_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace torsion {

// The transport (or listener, or connector) that started an operation.
// Only the reactor's sink calls it, after one of its completions threw.
class CompletionOwner {
 public:
  // Names the owner in the log: "TCPConnection(iocp, socket=12)".
  virtual std::string logPrefix() const = 0;
  // A completion threw `error`, which is already logged. A connection
  // disconnects with it as the reason (as the readiness transports do when
  // doRead throws); a datagram port carries on reading.
  virtual void completionFailed(std::exception_ptr error) = 0;

 protected:
  ~CompletionOwner() = default;
};

// One operation in flight: its owner and the code to run when it ends.
// A completion backend derives its own type with the kernel's bookkeeping
// (IocpOperation: an OVERLAPPED).
class CompletionOperation {
 public:
  // `error` is 0 on success, else the system's error code (the port
  // reports cancelled or closed operations as one "aborted" code).
  using Callback = absl::AnyInvocable<void(std::uint32_t error, std::uint32_t bytes)>;

  // `owner` must outlive the operation; the callback usually holds it.
  CompletionOperation(CompletionOwner& owner, Callback callback)
      : owner_(&owner), callback_(std::move(callback)) {}
  virtual ~CompletionOperation() = default;
  CompletionOperation(const CompletionOperation&) = delete;
  CompletionOperation& operator=(const CompletionOperation&) = delete;

  CompletionOwner& owner() const noexcept { return *owner_; }
  // Runs the owner's code; may throw (the sink's policy handles it).
  void complete(std::uint32_t error, std::uint32_t bytes) { callback_(error, bytes); }

 private:
  CompletionOwner* owner_;
  Callback callback_;
};

// Runs finished operations. Implemented by the reactor.
class CompletionSink {
 public:
  virtual void onComplete(CompletionOperation& op, std::uint32_t error,
                          std::uint32_t bytes) noexcept = 0;

 protected:
  ~CompletionSink() = default;
};

class CompletionPort {
 public:
  // Associates a socket or file handle (a Win32 SOCKET or HANDLE as an
  // integer) with the port: its operations complete through poll() from
  // now on. Errors name the call.
  virtual absl::Status associate(std::uintptr_t handle) = 0;

  // Where finished operations go. The reactor sets it before its first
  // poll; without one, a finished operation is deleted unrun.
  void setSink(CompletionSink* sink) noexcept { sink_ = sink; }

  // Hands a finished operation to the sink, then deletes it. poll() does so
  // for every dequeued packet; a transport does so for an operation that
  // finished without a packet (an inline success, a synchronous error), on
  // a later pass so that its owner never sees it inside the starting call.
  void deliver(std::unique_ptr<CompletionOperation> op, std::uint32_t error,
               std::uint32_t bytes) noexcept {
    if (sink_ != nullptr) sink_->onComplete(*op, error, bytes);
  }

 protected:
  ~CompletionPort() = default;

  // Hands one result of an operation that goes on (a multishot request) to
  // the sink, keeping the operation.
  void deliverAndKeep(CompletionOperation& op, std::uint32_t error,
                      std::uint32_t bytes) noexcept {
    if (sink_ != nullptr) sink_->onComplete(op, error, bytes);
  }

 private:
  CompletionSink* sink_ = nullptr;
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_COMPLETION_PORT_H_
