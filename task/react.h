// torsion/task/react.h: react, run a reactor until main's Deferred fires.
//
// Mirrors twisted.internet.task.react. react(reactor, main) calls
// main(reactor) (a function or coroutine returning Deferred<T>, or a plain
// value), runs the reactor until that Deferred fires, stops the reactor
// (exactly once: not if something else already stopped it) and returns an
// exit status: 0 on success; 1 on failure, the failure logged through
// torsion::log ("main function encountered error"); n if it failed with
// task::SystemExit(n). Twisted calls sys.exit; we return the status so
// that main() can `return torsion::task::react(...)`.
//
//   int main() {
//     return torsion::task::react([](torsion::Reactor& reactor) ->
//     torsion::Deferred<void> {
//       co_await torsion::task::deferLater(reactor, 1s);
//       std::cout << "one second later\n";
//     });
//   }
//
// Link the backends you want (//backends:all) into the binary, as for
// //core:reactor.
//
// Thread-safety: call it on the thread that should run the reactor. Throws
// ReactorAlreadyRunning if `reactor` is already running.
#ifndef TORSION_TASK_REACT_H_
#define TORSION_TASK_REACT_H_

#include <concepts>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "core/reactor.h"
#include "deferred/deferred.h"
#include "task/errors.h"

namespace torsion::task {

namespace internal_react {
int run(Reactor& reactor, Deferred<void> finished, bool installSignalHandlers);
}  // namespace internal_react

// Runs `reactor` until main(reactor)'s Deferred fires; see above.
// A main that throws counts as a failure (exit status 1, logged).
// `installSignalHandlers` is passed to Reactor::run (SIGINT/SIGTERM stop).
template <typename Main>
requires std::invocable<Main&, Reactor&>
int react(Reactor& reactor, Main main, bool installSignalHandlers = true) {
  auto started = maybeDeferred(main, reactor);
  Deferred<void> finished = [&] {
    using D = decltype(started);
    if constexpr (std::is_void_v<typename D::value_type>) {
      return started;
    } else {
      return started.addCallback([](typename D::value_type) {});
    }
  }();
  return internal_react::run(reactor, std::move(finished), installSignalHandlers);
}

// As above, on a new Reactor with default options (backend from
// TORSION_BACKEND, else the best available). If no reactor can be created,
// logs why and returns 1.
int react(absl::AnyInvocable<Deferred<void>(Reactor&)> main,
          bool installSignalHandlers = true);

}  // namespace torsion::task

#endif  // TORSION_TASK_REACT_H_
