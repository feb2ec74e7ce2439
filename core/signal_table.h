// torsion/core/signal_table.h: the process-wide signal dispositions torsion
// installs, shared by every reactor (internal, POSIX).
//
// A signal's disposition belongs to the whole process, so everything in
// torsion that catches one goes through this table: the reactor's SIGINT /
// SIGTERM stop handling (core/signal_handlers.h) and user signal watches
// (core/signals.h, which the SIGCHLD reaper of net/process.h uses too).
// One C handler serves them all. The first user of a signal installs it
// (saving what was there), the last one restores the saved disposition.
//
// Delivery is async-signal-safe: the handler writes one byte (the signal
// number) to the write end of every pipe subscribed to the signal, then
// calls the stop hook. Readers drain their pipe on their reactor's thread.
//
//   absl::Status s = internal::acquireSignal(SIGHUP);
//   int slot = internal::addSubscriber(SIGHUP, pipeWriteFd);
//   ...
//   internal::removeSubscriber(slot);   // no handler writes to it afterwards
//   internal::releaseSignal(SIGHUP);
//
// Thread-safety: every function may be called from any thread (one mutex);
// the handler may run on any thread.
#ifndef TORSION_CORE_SIGNAL_TABLE_H_
#define TORSION_CORE_SIGNAL_TABLE_H_

#include "absl/status/status.h"

namespace torsion::internal {

// Adds a user of `signo`'s disposition; the first one installs torsion's
// handler. InvalidArgument for a signal that cannot be caught (SIGKILL,
// SIGSTOP) or is out of range; the sigaction error otherwise.
absl::Status acquireSignal(int signo);
// Drops one user; the last one restores the disposition saved by the first.
void releaseSignal(int signo);

// Makes the handler write one byte to `writeFd` (non-blocking) on each
// delivery of `signo`. Returns a slot for removeSubscriber, or -1 when the
// table is full.
int addSubscriber(int signo, int writeFd);
// Stops writing to the slot's fd; when it returns, no handler is using the
// fd any more, so it may be closed.
void removeSubscriber(int slot);

// Called by the handler for every signal after the subscribers were
// written to (the reactor's stop handling). Must be async-signal-safe.
using SignalHook = void (*)(int signo);
void setStopHook(SignalHook hook);

}  // namespace torsion::internal

#endif  // TORSION_CORE_SIGNAL_TABLE_H_
