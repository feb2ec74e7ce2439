#include "core/completion_dispatch.h"

#include <exception>

#include "base/log.h"

namespace torsion::internal {

void runForOwner(CompletionOwner& owner, absl::FunctionRef<void()> work) noexcept {
  std::exception_ptr error;
  try {
    work();
    return;
  } catch (...) {
    error = std::current_exception();
  }
  try {
    log::err("net", owner.logPrefix() + ": unhandled error in completion", error);
    owner.completionFailed(error);
  } catch (...) {
    // The owner failed while being disconnected; nothing is left to tell.
    try {
      log::err("net", "unhandled error while handling a failed completion",
               std::current_exception());
    } catch (...) {  // logging failed (bad_alloc): the loop matters more
    }
  }
}

void CompletionDispatcher::onComplete(CompletionOperation& op, std::uint32_t error,
                                      std::uint32_t bytes) noexcept {
  runForOwner(op.owner(), [&] { op.complete(error, bytes); });
}

}  // namespace torsion::internal
