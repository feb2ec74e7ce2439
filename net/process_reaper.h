// torsion/net/process_reaper.h: learning that one child exited, and its
// status, without disturbing anyone else's children (internal, Linux/POSIX).
//
// Twisted reaps from a SIGCHLD handler that calls waitpid on each pid it
// knows. torsion does the same where it must, and better where it can:
//
//   pidfd   (Linux 5.3+): pidfd_open(pid) is a descriptor that turns
//           readable when the child exits; the reactor watches it like a
//           socket, then waitpid(pid, WNOHANG) collects the status. Signals
//           go through pidfd_send_signal, immune to pid reuse.
//   SIGCHLD (elsewhere): one watch of SIGCHLD per reactor (core/signals.h,
//           installed before the fork, so no exit is missed); on each
//           delivery waitpid(pid, WNOHANG) for that reactor's own children.
//
// Neither calls waitpid(-1): children started by other code, or by another
// reactor, are never reaped here. If such code reaps one of ours first
// (waitpid(-1) elsewhere, SIGCHLD ignored), the exit is still reported,
// without a status, and a warning is logged.
//
//   auto reaper = internal::ChildReaper::prepare(reactor);   // before fork
//   reaper->watch(pid, [](std::optional<int> status) { ... });
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_PROCESS_REAPER_H_
#define TORSION_NET_PROCESS_REAPER_H_

#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/reactor.h"

namespace torsion::net::internal {

class ChildReaper {
 public:
  // The wait status (waitpid's), or empty when someone else reaped it.
  using OnExit = absl::AnyInvocable<void(std::optional<int> status)>;

  virtual ~ChildReaper() = default;

  // Call before fork: sets up what must exist before the child can exit.
  static absl::StatusOr<std::unique_ptr<ChildReaper>> prepare(Reactor& reactor);

  // Starts watching `pid` (a child just forked); `onExit` runs once, on the
  // reactor thread, when it has been reaped.
  virtual absl::Status watch(int pid, OnExit onExit) = 0;

  // Sends `signo`: 0 or the errno (ESRCH once the child is gone).
  virtual int sendSignal(int signo) = 0;
};

// Tests: false makes prepare() use SIGCHLD even where pidfd works.
void setPidfdAllowed(bool allowed);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_PROCESS_REAPER_H_
