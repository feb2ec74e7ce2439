#include "net/completion_support.h"

#include <stdexcept>
#include <utility>

#include "core/completion_dispatch.h"

namespace torsion::net::internal {

void callSoonFor(Reactor& reactor, std::shared_ptr<CompletionOwner> owner,
                 absl::AnyInvocable<void()> work) {
  reactor.callSoon([owner = std::move(owner), work = std::move(work)]() mutable {
    torsion::internal::runForOwner(*owner, [&] { work(); });
  });
}

void ShutdownHook::arm(Reactor& reactor, absl::AnyInvocable<void()> onShutdown) {
  disarm();
  reactor_ = &reactor;
  id_ = reactor.addSystemEventTrigger(Phase::kDuring, "shutdown", std::move(onShutdown));
}

void ShutdownHook::disarm() {
  if (!id_) return;
  const TriggerId id = *id_;
  id_.reset();
  try {
    reactor_->removeSystemEventTrigger(id);
  } catch (const std::invalid_argument&) {
    // Already ran (the shutdown is firing right now): nothing to remove.
  }
}

}  // namespace torsion::net::internal
