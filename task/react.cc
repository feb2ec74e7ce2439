#include "task/react.h"

#include <memory>
#include <string>

#include "base/log.h"
#include "core/errors.h"

namespace torsion::task {
namespace internal_react {
namespace {

// Shared by the callbacks below, which may outlive run() (a Deferred that
// fires after the reactor was stopped by someone else).
struct ReactState {
  int code = 0;
  bool stopping = false;  // shutdown has begun: do not stop() again
  bool returned = false;  // run() is over: the reactor may be gone
};

void finish(Reactor& reactor, ReactState& state, const Outcome<void>& outcome,
            bool stopReactor) {
  if (stopReactor) {
    try {
      reactor.stop();
    } catch (const ReactorNotRunning&) {
      // Stopped meanwhile: that is what we wanted.
    }
  }
  if (!outcome.isFailure()) return;
  const Failure& f = outcome.failure();
  if (const SystemExit* exit = f.value<SystemExit>()) {
    state.code = exit->code();
    return;
  }
  log::err("task", "main function encountered error\n" + f.getBriefTraceback(),
           f.exception());
  state.code = 1;
}

}  // namespace

int run(Reactor& reactor, Deferred<void> finished, bool installSignalHandlers) {
  auto state = std::make_shared<ReactState>();
  reactor.addSystemEventTrigger(Phase::kBefore, "shutdown",
                                [state] { state->stopping = true; });
  (void)finished.addBoth([&reactor, state](Outcome<void> outcome) {
    if (state->returned) return;  // too late to matter; consumed
    if (state->stopping) {
      finish(reactor, *state, outcome, false);
    } else {
      // Stop from the running reactor (now if it runs, else once it does).
      reactor.callWhenRunning([&reactor, state, outcome] {
        finish(reactor, *state, outcome, !state->stopping);
      });
    }
  });
  reactor.run(installSignalHandlers);
  state->returned = true;
  return state->code;
}

}  // namespace internal_react

int react(absl::AnyInvocable<Deferred<void>(Reactor&)> main, bool installSignalHandlers) {
  absl::StatusOr<std::unique_ptr<Reactor>> reactor = Reactor::create();
  if (!reactor.ok()) {
    log::err("task", "react: cannot create a reactor: " + reactor.status().ToString());
    return 1;
  }
  return react(**reactor, std::move(main), installSignalHandlers);
}

}  // namespace torsion::task
