// torsion/net/completion_support.h: what every completion transport family
// (net/iocp/, net/uring/) needs from the reactor besides its port
// (internal): running deferred work under the completion exception policy,
// and being disconnected at reactor shutdown.
//
// A readiness transport is a FileDescriptor: the reactor's FdDispatcher runs
// its code under the dispatch policy and disconnects it at shutdown
// (FdDispatcher::disconnectAll). A completion transport is no
// FileDescriptor, so it asks for both here.
//
//   internal::callSoonFor(reactor, self, [self] { self->drained(); });
//   shutdownHook_.arm(reactor, [weak] { ...closeNow(ConnectionLost)... });
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_COMPLETION_SUPPORT_H_
#define TORSION_NET_COMPLETION_SUPPORT_H_

#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "backends/completion_port.h"
#include "core/reactor.h"
#include "core/system_events.h"

namespace torsion::net::internal {

// Runs `work` for `owner` on the next reactor pass, under the completion
// policy: what a completion would have done next, had there been one (a
// drain check, a held receive).
void callSoonFor(Reactor& reactor, std::shared_ptr<CompletionOwner> owner,
                 absl::AnyInvocable<void()> work);

// A "during shutdown" trigger owned by one transport: Reactor shutdown
// must disconnect completion transports as FdDispatcher::disconnectAll does
// for readiness ones (Twisted's IOCPReactor keeps its handles for the same
// reason). arm() adds it, disarm() removes it if it has not run.
class ShutdownHook {
 public:
  ShutdownHook() = default;
  ShutdownHook(const ShutdownHook&) = delete;
  ShutdownHook& operator=(const ShutdownHook&) = delete;
  ~ShutdownHook() = default;  // the owner disarms; the reactor may be gone

  void arm(Reactor& reactor, absl::AnyInvocable<void()> onShutdown);
  void disarm();
  // Call first thing from the trigger: it has run, nothing to remove.
  void fired() { id_.reset(); }

 private:
  Reactor* reactor_ = nullptr;
  std::optional<TriggerId> id_;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_COMPLETION_SUPPORT_H_
