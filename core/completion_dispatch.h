// torsion/core/completion_dispatch.h: the one exception policy for
// completions (the completion-backend counterpart of core/fd_dispatch.h).
//
// A completion backend (backends/completion_port.h) runs no user code: it
// hands each finished operation to the reactor's CompletionDispatcher,
// which runs it. Policy, written once here for every completion transport:
//   1. An operation runs once, with the (error, bytes) its port reported.
//   2. An exception it throws never leaves Reactor::run(): it is logged
//      ("<owner>: unhandled error in completion") and the owner's
//      completionFailed(error) runs; a connection then disconnects with it
//      as the reason, as a readiness transport does when doRead throws.
//   3. An exception from completionFailed itself is logged and dropped.
// Owner code that belongs to a completion but runs later (a drain check on
// the next pass) goes through runForOwner(), under the same rule.
//
//   internal::CompletionDispatcher completions;
//   if (CompletionPort* port = backend.completionPort()) port->setSink(&completions);
//   reactor.callSoon([self] { internal::runForOwner(*self, [&] { self->drained(); }); });
//
// Thread-safety: none; the reactor thread only.
#ifndef TORSION_CORE_COMPLETION_DISPATCH_H_
#define TORSION_CORE_COMPLETION_DISPATCH_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "backends/completion_port.h"

namespace torsion::internal {

// Runs `work`, which belongs to `owner`, under the policy above.
void runForOwner(CompletionOwner& owner, absl::FunctionRef<void()> work) noexcept;

class CompletionDispatcher final : public CompletionSink {
 public:
  void onComplete(CompletionOperation& op, std::uint32_t error,
                  std::uint32_t bytes) noexcept override;
};

}  // namespace torsion::internal

#endif  // TORSION_CORE_COMPLETION_DISPATCH_H_
