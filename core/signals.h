// torsion/core/signals.h: user handlers for POSIX signals, run on the
// reactor's thread.
//
// Twisted leaves user signals to Python's signal module, whose handlers run
// between bytecodes on the main thread; C++ handlers run at any instruction
// on any thread and may only call async-signal-safe functions. watchSignal
// gives a C++ program Twisted's comfort: the callable runs on the reactor
// thread, at a safe point of the loop, like any other event.
//
//   absl::StatusOr<torsion::SignalWatch> hup =
//       torsion::watchSignal(reactor, SIGHUP, [&](int) { reloadConfig(); });
//   if (!hup.ok()) { std::cerr << hup.status(); return 1; }
//   ...
//   hup->stop();   // or let it go out of scope
//
// Delivery: the shared handler (core/signal_table.h) writes a byte to the
// watch's self-pipe; the reactor reads it and calls `f(signo)` once per read,
// so deliveries close together may be one call (the kernel coalesces
// standard signals too). Several watches of one signal, in one reactor or
// several, all hear it. A watch of SIGINT or SIGTERM hears it while a
// running reactor also stops on it (Reactor::run's handlers). Reactor
// shutdown does not end a watch: it carries on in the next run().
//
// The first watch of a signal installs the handler (saving the disposition
// in place), the last one to stop restores it. signalfd is not used: it
// needs the signal blocked in every thread, which a library cannot promise
// for threads it did not start.
//
// Errors: InvalidArgument for SIGKILL, SIGSTOP or a number out of range;
// ResourceExhausted when too many watches exist; the failing call
// otherwise. On Windows: Unimplemented ("not available on Windows").
// Thread-safety: create, stop and destroy on the reactor thread; a watch
// must be stopped or destroyed before its reactor.
#ifndef TORSION_CORE_SIGNALS_H_
#define TORSION_CORE_SIGNALS_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/reactor.h"

namespace torsion {

namespace internal {
class SignalWatchReader;
}  // namespace internal

// A live watch. Move-only; stopping (or destroying) it removes the handler
// call and, for the last watch of the signal, the disposition.
class SignalWatch {
 public:
  SignalWatch() = default;
  SignalWatch(SignalWatch&&) noexcept;
  SignalWatch& operator=(SignalWatch&&) noexcept;
  ~SignalWatch();

  // Idempotent.
  void stop();
  bool active() const { return reader_ != nullptr; }

 private:
  friend absl::StatusOr<SignalWatch> watchSignal(Reactor&, int,
                                                 absl::AnyInvocable<void(int)>);
  explicit SignalWatch(std::shared_ptr<internal::SignalWatchReader> reader);
  std::shared_ptr<internal::SignalWatchReader> reader_;
};

// Calls `f(signo)` on `reactor`'s thread after `signo` is delivered to the
// process. Exceptions from `f` are logged and the watch goes on.
absl::StatusOr<SignalWatch> watchSignal(Reactor& reactor, int signo,
                                        absl::AnyInvocable<void(int)> f);

}  // namespace torsion

#endif  // TORSION_CORE_SIGNALS_H_
