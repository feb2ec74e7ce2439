// torsion/core/signal_handlers.h: SIGINT / SIGTERM stop a running reactor.
//
// Mirrors the part of twisted.internet._signals the reactor installs in
// run(installSignalHandlers=True): SIGINT and SIGTERM make the reactor stop
// gracefully (shutdown triggers run). Signal dispositions are process-wide,
// so one reactor at a time owns them; the state here is therefore global, on
// purpose, and private to core/.
//
// The handler is async-signal-safe: it stores the signal number in a
// lock-free atomic and calls Backend::wakeUp() (documented signal-safe); the
// reactor notices the number at the start of its next pass and calls stop().
// On POSIX the handler is the one shared handler of core/signal_table.h, so
// user watches of SIGINT/SIGTERM (core/signals.h) still hear them while a
// reactor owns them, and the reactor still stops.
//
//   if (internal::installStopSignalHandlers(&backend)) { ...run...
//     internal::uninstallStopSignalHandlers(&backend); }
//
// Thread-safety: install/uninstall from the reactor thread; the handler may
// run on any thread.
#ifndef TORSION_CORE_SIGNAL_HANDLERS_H_
#define TORSION_CORE_SIGNAL_HANDLERS_H_

#include "backends/backend.h"

namespace torsion::internal {

// Installs the handlers, waking `backend` on a signal. Returns false (and
// changes nothing) when another owner holds them.
bool installStopSignalHandlers(const Backend* backend);

// Restores the dispositions saved by install, if `backend` owns them.
void uninstallStopSignalHandlers(const Backend* backend);

// The signal that arrived since the last call (SIGINT or SIGTERM), or 0.
int takePendingStopSignal();

// True when a signal is waiting to be taken (for the poll timeout).
bool stopSignalPending();

}  // namespace torsion::internal

#endif  // TORSION_CORE_SIGNAL_HANDLERS_H_
