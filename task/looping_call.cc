#include "task/looping_call.h"

#include <cmath>
#include <string>

namespace torsion {
namespace internal {

using task::LoopingCall;

// One start()..end of a loop. Completions of f carry the Run they belong
// to: when it is not the current run any more (stop() then start() while
// f's Deferred was pending), they finish that old run only.
struct LoopRun {
  std::uint64_t generation;
  // start()'s Deferred until it fires; then empty so that an unhandled
  // failure is reported when the caller lets go, not when we do.
  std::optional<Deferred<LoopingCall*>> done;
};

struct LoopState : std::enable_shared_from_this<LoopState> {
  LoopState(ReactorTime& c, LoopStep s, bool counted)
      : clock(&c), step(std::move(s)), withCount(counted) {}

  ReactorTime* clock;
  LoopStep step;
  const bool withCount;
  LoopingCall* owner = nullptr;

  bool running = false;
  std::uint64_t generation = 0;
  std::shared_ptr<LoopRun> run;  // the current (or last) run
  double interval = 0.0;
  double startTime = 0.0;
  bool runAtStart = false;
  std::optional<double> lastCallTime;  // withCount: previous call of f
  DelayedCall call;                    // the scheduled next call, if any

  void callOnce();
  void scheduleFrom(double when);
  void completed(const std::shared_ptr<LoopRun>& r);
  void failed(const std::shared_ptr<LoopRun>& r, Failure f);
  void finish(const std::shared_ptr<LoopRun>& r, std::optional<Failure> f);
  std::optional<std::int64_t> countNow();
  std::int64_t intervalOf(double t) const {
    // Python's int(): truncation toward zero.
    return static_cast<std::int64_t>(std::trunc((t - startTime) / interval));
  }
};

namespace {

// Python's float %: the result takes the divisor's sign.
double pythonMod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0.0) {
    if ((b < 0) != (m < 0)) m += b;
  } else {
    m = std::copysign(0.0, b);
  }
  return m;
}

void checkInterval(double interval, const char* who) {
  if (std::isnan(interval) || interval < 0) {
    throw std::invalid_argument(std::string(who) +
                                ": interval must be >= 0 seconds, got " +
                                std::to_string(interval));
  }
}

}  // namespace

std::optional<std::int64_t> LoopState::countNow() {
  if (!withCount) return 1;
  const double now = clock->seconds();
  if (interval == 0) {
    lastCallTime = now;
    return 1;
  }
  double last;
  if (lastCallTime) {
    last = *lastCallTime;
  } else {
    last = startTime;
    if (runAtStart) last -= interval;
  }
  const std::int64_t count = intervalOf(now) - intervalOf(last);
  if (count <= 0) return std::nullopt;  // twisted#7836: never call f with 0
  lastCallTime = now;
  return count;
}

void LoopState::callOnce() {
  // f may destroy its LoopingCall; keep the state alive until we return.
  std::shared_ptr<LoopState> keep = shared_from_this();
  call = DelayedCall();  // nothing scheduled while f runs
  std::shared_ptr<LoopRun> r = run;
  std::optional<Deferred<void>> pending;
  try {
    std::optional<std::int64_t> count = countNow();
    if (count) pending = step(*count);
  } catch (...) {
    failed(r, Failure::current());
    return;
  }
  if (!pending) {
    completed(r);
    return;
  }
  // weak: a LoopingCall destroyed while f's Deferred is pending must not be
  // touched when it fires.
  std::weak_ptr<LoopState> weak = weak_from_this();
  (void)pending->addCallbacks(
      [weak, r] {
        if (auto self = weak.lock()) self->completed(r);
      },
      [weak, r](Failure f) {
        if (auto self = weak.lock()) self->failed(r, std::move(f));
      });
}

void LoopState::scheduleFrom(double when) {
  double delay;
  if (interval == 0) {
    delay = 0;
  } else {
    const double runningFor = when - startTime;
    delay = interval - pythonMod(runningFor, interval);
    // The next grid point is so close that `when + delay` rounds to `when`:
    // take a whole interval instead, so the call is strictly in the future.
    if (when == when + delay) delay = interval;
  }
  std::weak_ptr<LoopState> weak = weak_from_this();
  call = clock->callLater(Seconds(delay), [weak] {
    if (auto self = weak.lock()) self->callOnce();
  });
}

void LoopState::completed(const std::shared_ptr<LoopRun>& r) {
  if (owner == nullptr) return;  // the LoopingCall is gone
  if (r->generation == generation && running) {
    scheduleFrom(clock->seconds());
    return;
  }
  finish(r, std::nullopt);
}

void LoopState::failed(const std::shared_ptr<LoopRun>& r, Failure f) {
  if (r->generation == generation) running = false;
  finish(r, std::move(f));
}

void LoopState::finish(const std::shared_ptr<LoopRun>& r, std::optional<Failure> f) {
  if (!r->done || owner == nullptr) return;
  Deferred<LoopingCall*> d = std::move(*r->done);
  r->done.reset();
  if (f) {
    d.errback(std::move(*f));
  } else {
    d.callback(owner);
  }
}

}  // namespace internal

namespace task {

LoopingCall::LoopingCall(ReactorTime& clock, internal::LoopStep step, bool withCount)
    : state_(std::make_shared<internal::LoopState>(clock, std::move(step), withCount)) {
  state_->owner = this;
}

LoopingCall::~LoopingCall() {
  state_->owner = nullptr;
  state_->running = false;
  if (state_->call.active()) state_->call.cancel();
}

Deferred<LoopingCall*> LoopingCall::start(Seconds interval, bool now) {
  internal::LoopState& s = *state_;
  if (s.running) {
    throw std::logic_error("LoopingCall::start: already running; stop() it first");
  }
  internal::checkInterval(interval.count(), "LoopingCall::start");
  s.running = true;
  s.run = std::make_shared<internal::LoopRun>(
      internal::LoopRun{++s.generation, std::nullopt});
  // Cancelling start()'s Deferred ends its run (twisted#6656): the loop
  // stops like stop(), but nothing fires it later; it fails with
  // CancelledError. Weak references: the Deferred must not own the loop.
  std::weak_ptr<internal::LoopState> weakState = state_;
  std::weak_ptr<internal::LoopRun> weakRun = s.run;
  s.run->done.emplace([weakState, weakRun](Deferred<LoopingCall*>&) {
    std::shared_ptr<internal::LoopState> state = weakState.lock();
    std::shared_ptr<internal::LoopRun> run = weakRun.lock();
    if (!state || !run) return;
    if (run->generation == state->generation && state->running) {
      state->running = false;
      if (state->call.active()) state->call.cancel();
      state->call = DelayedCall();
    }
    run->done.reset();
  });
  Deferred<LoopingCall*> result = *s.run->done;
  s.startTime = s.clock->seconds();
  s.interval = interval.count();
  s.runAtStart = now;
  s.lastCallTime.reset();  // Twisted keeps it across runs; counts restart here
  if (now) {
    s.callOnce();
  } else {
    s.scheduleFrom(s.startTime);
  }
  return result;
}

void LoopingCall::stop() {
  internal::LoopState& s = *state_;
  if (!s.running) throw std::logic_error("LoopingCall::stop: not running");
  s.running = false;
  if (s.call.active()) {
    s.call.cancel();
    s.call = DelayedCall();
    s.finish(s.run, std::nullopt);
  }
}

void LoopingCall::reset() {
  internal::LoopState& s = *state_;
  if (!s.running) throw std::logic_error("LoopingCall::reset: not running");
  if (s.call.active()) {
    s.call.cancel();
    s.startTime = s.clock->seconds();
    s.scheduleFrom(s.startTime);
  }
}

bool LoopingCall::running() const { return state_->running; }

Seconds LoopingCall::interval() const { return Seconds(state_->interval); }

void LoopingCall::setInterval(Seconds interval) {
  internal::checkInterval(interval.count(), "LoopingCall::setInterval");
  state_->interval = interval.count();
}

ReactorTime& LoopingCall::clock() const { return *state_->clock; }

void LoopingCall::setClock(ReactorTime& clock) {
  if (state_->running) {
    throw std::logic_error(
        "LoopingCall::setClock: cannot change the clock while running");
  }
  state_->clock = &clock;
}

}  // namespace task
}  // namespace torsion
