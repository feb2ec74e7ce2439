#include "deferred/internal/chain_state.h"

#include <stdexcept>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "base/log.h"
#include "deferred/debug.h"
#include "deferred/errors.h"
#include "deferred/internal/demangle.h"

namespace torsion::internal {

void failWithCurrentException(ChainState& chain) noexcept {
  chain.setFailure(Failure(std::current_exception()));
}

Handoff::~Handoff() {
  if (target == nullptr) return;
  // Never run. resume: the Deferred the outer waits on will never deliver;
  // forget it so that cancel() on the outer does not follow a dangling
  // pointer.
  if (resumes() && target->chainedTo_ == source) target->chainedTo_ = nullptr;
  target->unref();
}

ChainState* ChainState::create(const TypeInfo* created) {
  // Memory from the thread's cache: see ChainBlocks for the measured reason.
  auto* chain = ::new (ChainBlocks::take()) ChainState(created);
  if (debugging()) {
    chain->debug_ = std::make_unique<DebugInfo>();
    chain->debug_->creator = captureStack(0, "   ");
  }
  return chain;
}

ChainState::~ChainState() {
  if (called_ && isFailure_ && !failureConsumed_) {
    // D24: deterministic, at the moment the last handle let go.
    std::string message = "Unhandled error in Deferred:\n";
    if (debug_) message += debugText();
    message += failure_.getBriefTraceback();
    log::err("deferred", std::move(message), failure_.exception());
  }
}

std::string ChainState::debugText() const {
  std::string text = "(debug:";
  // A Deferred created before debugging was turned on has no creation
  // stack, one not fired yet has no invoker (testSwitchDebugging).
  if (!debug_->creator.empty()) text += "  C: Deferred was created:\n" + debug_->creator;
  if (!debug_->invoker.empty()) text += "  I: First Invoker was:\n" + debug_->invoker;
  text += ")\n";
  return text;
}

namespace {
// Chains whose destruction was deferred by ChainState::destroy (below).
std::vector<ChainState*>& pendingDestruction() {
  thread_local std::vector<ChainState*> pending;
  return pending;
}
}  // namespace

void ChainState::destroy(ChainState* chain) noexcept {
  // Destroying a chain destroys its steps, which may hold the last reference
  // to other chains (a long line of unfired returned Deferreds): flatten that
  // cascade into a loop so that it cannot overflow the stack. Plain flags
  // first: the vector (a TLS guard on every access) is touched only when a
  // cascade happens (-20 instructions per chain, callgrind).
  thread_local bool destroying = false;
  thread_local bool deferred = false;
  if (destroying) {
    pendingDestruction().push_back(chain);
    deferred = true;
    return;
  }
  destroying = true;
  chain->~ChainState();
  ChainBlocks::give(chain);
  if (deferred) {
    std::vector<ChainState*>& pending = pendingDestruction();
    while (!pending.empty()) {
      ChainState* next = pending.back();
      pending.pop_back();
      next->~ChainState();
      ChainBlocks::give(next);
    }
    deferred = false;
  }
  destroying = false;
}

bool ChainState::beginFireAgain() {
  if (suppressAlreadyCalled_) {
    suppressAlreadyCalled_ = false;
    return false;
  }
  std::string message = "AlreadyCalledError: the Deferred has already been fired";
  if (debug_) {
    message += "\n" + debugText();
  } else {
    message += " (torsion::setDebugging(true) shows where)";
  }
  throw AlreadyCalledError(message);
}

// Inlined into its callers (all in this file): as a call it cost ~5
// instructions per returned Deferred (W5 returned_deferreds, callgrind).
[[gnu::always_inline]] inline void ChainState::takeResultFrom(
    ChainState& other) noexcept {
  if (other.isFailure_) {
    setFailure(other.takeFailure());
    // Read after the moves (takeFailure() leaves it): held across them in
    // a register, it cost 2 instructions on every call (callgrind).
    failureConsumed_ = other.failureConsumed_;
  } else {
    isFailure_ = false;
    value_.moveFrom(other.value_);
  }
}

// Inlined into endFire(): as a call it cost 7 instructions a fire (W5
// succeed, callgrind).
[[gnu::always_inline]] inline void ChainState::markFired() {
  called_ = true;
  // D22: the canceller may capture things that hold this chain; it is of
  // no use any more. (Tested first: assigning to an empty AnyInvocable
  // still makes an indirect call.)
  if (canceller_) canceller_ = nullptr;
  if (debugging()) {
    if (!debug_) debug_ = std::make_unique<DebugInfo>();
    debug_->invoker = captureStack(0, "   ");
  }
}

void ChainState::endFire() {
  markFired();
  // Nothing queued (succeed(), a Deferred fired before any callback): the
  // runner would only set up its stack and take a reference (-60
  // instructions for W5 succeed, callgrind). An unfired chain never waits.
  if (!steps_.pending()) return;
  run(this);
}

void ChainState::fireFailure(Failure failure) {
  if (!beginFire()) return;
  setFailure(std::move(failure));
  endFire();
}

void ChainState::runAlone(Step& step) {
  // Fast path for adding to a fired chain with nothing queued (D9): run the
  // step in place, without queueing it.
  ref();
  running_ = true;
  ChainState* returned = step.invoke(*this);  // a throw becomes our Failure
  running_ = false;
  step.reset();  // D22: release captures now
  bool waiting = returned != nullptr && absorbReturned(this, returned);
  // Steps added re-entrantly by the one that just ran (D10).
  if (!waiting && steps_.pending()) run(this);
  unref();
}

void ChainState::addChainedDeferred(ChainState* target) {
  steps_.emplace_back(Handoff::fire(target));
  // Not through addStep's in-place path: the runner must see the step.
  if (called_ && paused_ == 0 && !waiting_ && !running_) run(this);
}

bool ChainState::absorbReturned(ChainState* current, ChainState* returned) {
  if (returned == current) {
    // D13h: Twisted warns and wedges the chain for ever; we fail it.
    returned->unref();
    current->setFailure(Failure(
        std::logic_error("Callback returned the Deferred it was attached to; this would "
                         "break the callback chain")));
    return false;
  }
  if (returned->waitsOn(current)) {
    // D13h: `returned` waits, through returned Deferreds, on `current`;
    // waiting on it in turn would close a ring that never fires (Twisted
    // wedges there, and its cancel() recurses without end). We fail it.
    returned->unref();
    current->setFailure(Failure(
        std::logic_error("Callback returned a Deferred that waits on the Deferred the "
                         "callback was attached to; neither could ever fire")));
    return false;
  }
  if (returned->resultReady()) {
    // D13a: steal the result; the donor is left with None. With steps still
    // queued it holds None already (handOverType()), and they keep their
    // types.
    current->takeResultFrom(*returned);
    if (!returned->steps_.pending()) returned->tail_ = typeOf<void>();
    returned->unref();
    return false;
  }
  // D13b: wait for it. Our continuation goes at the end of its chain; what
  // it carries from then on is None.
  current->waiting_ = true;
  current->chainedTo_ = returned;
  current->ref();
  returned->steps_.emplace_back(Handoff::resume(current, returned));
  returned->tail_ = typeOf<void>();
  returned->unref();
  return true;
}

bool ChainState::waitsOn(const ChainState* other) const {
  for (const ChainState* c = this; c->waiting_ && c->chainedTo_ != nullptr;) {
    c = c->chainedTo_;
    if (c == other) return true;
  }
  return false;
}

void ChainState::unpause() {
  if (paused_ == 0) return;  // Twisted goes negative; we clamp (decision).
  if (--paused_ == 0 && called_) run(this);
}

void ChainState::cancel() {
  ChainState* target = this;
  // D21: a fired Deferred waiting on a returned one forwards the cancel to
  // it, transitively; walked as a loop, not a recursion.
  while (target->called_ && target->waiting_ && target->chainedTo_ != nullptr &&
         !target->cancellerOnly_) {
    target = target->chainedTo_;
  }
  if (target->called_) return;  // D20
  target->ref();
  struct Unref {
    ChainState* c;
    ~Unref() { c->unref(); }
  } guard{target};
  target->cancelUnfired();
}

void ChainState::cancelUnfired() {
  if (coroutine_ != nullptr) {
    // IC9: the coroutine's Deferred fires when the coroutine ends; cancel
    // what it awaits and let the CancelledError surface at its co_await.
    coroutine_->cancelAwaited();
    return;
  }
  auto canceller = std::move(canceller_);
  canceller_ = nullptr;
  if (cancellerOnly_) {
    if (canceller) canceller(*this);
    // Kept for a later cancel() while unfired (firing drops it, D22).
    if (!called_ && !canceller_) canceller_ = std::move(canceller);
    return;
  }
  if (canceller) {
    try {
      canceller(*this);
    } catch (...) {
      // D23: the exception goes to cancel()'s caller and the canceller is
      // kept, so that the next cancel() calls it again, as Twisted does.
      if (!called_ && !canceller_) canceller_ = std::move(canceller);
      throw;
    }
  } else {
    suppressAlreadyCalled_ = true;  // D18
  }
  if (!called_) fireFailure(Failure(CancelledError()));
}

void ChainState::run(ChainState* start) {
  if (start->running_) return;  // D10: the running loop will get to it
  // The chains whose results are being pushed forward, innermost first; each
  // entry holds a reference. A returned Deferred resuming its outer pushes
  // the outer here instead of recursing (D13g).
  absl::InlinedVector<ChainState*, 4> stack;
  start->ref();
  stack.push_back(start);
  while (!stack.empty()) {
    ChainState* current = stack.back();
    bool finished = true;
    // Back from the Deferred a chainDeferred() step fired: go on with the
    // next step even if a callback paused this chain meanwhile, as Twisted's
    // loop does when d.callback() returns (it looks at `paused` only
    // between chains).
    bool resumed = current->handingOff_;
    if (resumed) {
      current->handingOff_ = false;
      current->running_ = false;
    }
    if (resumed || (current->paused_ == 0 && !current->waiting_)) {
      current->chainedTo_ = nullptr;
      while (current->steps_.pending()) {
        // Called where it lies (a callback appending to this very chain
        // moves no step), and reset as soon as it has run: its captures go
        // then (D22).
        Step& step = current->steps_.next();
        if (step.ops() == Step::opsFor<Handoff>()) [[unlikely]] {
          Handoff& handoff = step.as<Handoff>();
          ChainState* next = std::exchange(handoff.target, nullptr);
          bool resumes = handoff.resumes();
          step.reset();
          if (resumes) {
            next->takeResultFrom(*current);
            next->waiting_ = false;
            next->chainedTo_ = nullptr;
          } else if ((next = fireChained(current, next)) == nullptr) {
            continue;
          }
          stack.push_back(next);  // adopts the step's reference
          finished = false;
          break;
        }
        current->running_ = true;
        ChainState* returned = step.invoke(*current);  // a throw becomes its Failure
        current->running_ = false;
        step.reset();
        if (returned != nullptr && absorbReturned(current, returned)) break;
      }
      if (finished && !current->steps_.pending()) current->steps_.clear();
    }
    if (finished) {
      stack.pop_back();
      current->unref();
    }
  }
}

// Out of line: inlined, it slowed the runner's loop for ordinary steps.
[[gnu::noinline]] ChainState* ChainState::fireChained(ChainState* current,
                                                      ChainState* target) {
  // Twisted's d.callback(result) / d.errback(failure) from a step of
  // `current`, whose result then becomes what that call returned (None) or
  // raised (AlreadyCalledError).
  struct Unref {
    ChainState* c;
    ~Unref() {
      if (c != nullptr) c->unref();
    }
  } guard{target};
  if (target->called_) {
    try {
      if (!target->beginFireAgain()) {
        // D18: the one late result after a canceller-less cancel().
        current->value_.reset();
        if (current->isFailure_) current->takeFailure();
      }
    } catch (...) {
      failWithCurrentException(*current);
    }
    return nullptr;
  }
  target->takeResultFrom(*current);
  target->markFired();
  if (!target->steps_.pending()) return nullptr;
  // Run target's callbacks before current's next step; current counts as
  // running meanwhile (steps added to it queue, run() on it returns).
  current->running_ = true;
  current->handingOff_ = true;
  guard.c = nullptr;
  return target;  // with the step's reference
}

void ChainState::typeMismatch(const TypeInfo* handle, bool firing) const {
  std::string message = "DeferredTypeError: ";
  if (firing) {
    message += "fired through a " + deferredName(handle) +
               " handle, but the chain was created as " + deferredName(created_) +
               "; fire it through the handle it was created with";
  } else {
    message += "callback added through a " + deferredName(handle) +
               " handle, but the chain now carries " + demangle(tail_->type()) +
               "; use the handle the last addCallback returned";
  }
  throw DeferredTypeError(message);
}

void ChainState::handOverMismatch(const TypeInfo* handle) const {
  throw DeferredTypeError(
      "DeferredTypeError: a " + deferredName(handle) +
      " handle was returned from a callback or awaited, but that chain gives " +
      demangle(handOverType()->type()) +
      (resultReady() && steps_.pending()
           ? " (None: it has handed its result on and has steps still to run)"
           : "") +
      "; use the handle the last addCallback returned");
}

void ChainState::resultTypeMismatch(const TypeInfo* handle) const {
  const TypeInfo* held = value_.hasValue() ? value_.type() : typeOf<void>();
  throw DeferredTypeError("DeferredTypeError: result looked at through a " +
                          deferredName(handle) + " handle, but the chain holds " +
                          demangle(held->type()) +
                          " now; look through a handle of that type");
}

void ChainState::nullHandle() {
  throw std::logic_error("Deferred: this handle is empty (moved from)");
}

}  // namespace torsion::internal
