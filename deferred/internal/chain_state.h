// torsion/deferred/internal/chain_state.h: the type-erased callback chain
// behind every Deferred<T> handle. Private to deferred/: use deferred.h.
//
// One ChainState is one Twisted Deferred: a result slot (a value of any type,
// or a Failure), a list of steps, and the paused / waiting / called flags.
// Deferred<T> handles are typed views on it; they hold one intrusive
// reference each. All the typing happens in the templates of deferred.h and
// internal/callback_steps.h, which wrap user callables into Steps; this file only
// moves results along. Its state is private: handles and the steps reach it
// through the checks and result operations below, which keep the invariants
// listed with the members.
//
// Costs, by design: one heap allocation per chain (this object). The first
// step, a value of up to 32 bytes and a callable of up to 48 bytes live
// inline; no std::function, no shared_ptr, no per-step allocation for small
// callables.
//
// Thread-safety: none. A chain and all handles to it belong to one thread at
// a time (the reference count is not atomic).
#ifndef TORSION_DEFERRED_INTERNAL_CHAIN_STATE_H_
#define TORSION_DEFERRED_INTERNAL_CHAIN_STATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/thread_block_cache.h"
#include "deferred/failure.h"
#include "deferred/internal/step.h"
#include "deferred/internal/value_box.h"

namespace torsion::internal {

// The coroutine side of a chain created by a coroutine (coroutine.h): how to
// cancel what the coroutine is awaiting right now.
class CoroutineLink {
 public:
  virtual void cancelAwaited() = 0;

 protected:
  ~CoroutineLink() = default;
};

struct DebugInfo {
  std::string creator;  // stack at creation
  std::string invoker;  // stack at the first callback()/errback()
};

class ChainState {
 public:
  // A new unfired chain whose callback() takes `created`; holds one
  // reference, adopted by the first handle.
  static ChainState* create(const TypeInfo* created);

  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) destroy(this);
  }

  // --- types (checked by every handle before it acts) ---------------------
  // Throws DeferredTypeError unless a handle of type `handle` may fire this
  // chain: the chain was created for that type.
  void checkFiring(const TypeInfo* handle) const {
    if (created_ != handle) typeMismatch(handle, true);
  }
  // Throws DeferredTypeError unless a handle of type `handle` may add to
  // this chain: the chain carries that type now.
  void checkAdding(const TypeInfo* handle) const {
    if (tail_ != handle) typeMismatch(handle, false);
  }
  // Checks as checkAdding(handle) for a step about to be added, after which
  // the chain carries `next`. Nothing changes if it throws.
  void retype(const TypeInfo* handle, const TypeInfo* next) {
    checkAdding(handle);
    tail_ = next;
  }

  // --- firing -------------------------------------------------------------
  // Checks that a result may be stored now: false means "swallow it" (the
  // one late result after a canceller-less cancel, D18); throws
  // AlreadyCalledError when already fired.
  // The unfired case inline: out of line it cost ~25 instructions a fire
  // (prologue and stack protector of the error path), callgrind.
  bool beginFire() { return !called_ || beginFireAgain(); }
  // Marks fired (debug stacks, drops the canceller) and runs the chain.
  void endFire();
  void fireFailure(Failure failure);

  // --- chain --------------------------------------------------------------
  // Appends a step built from `fn` (see Step), and runs the chain at once
  // if it has a result and is not paused, waiting or already running (D9).
  // Inline: the step is built where it will stay, in the list, or on the
  // stack when it runs at once.
  template <typename Fn>
  void addStep(Fn&& fn) {
    if (idle()) {
      Step step(std::forward<Fn>(fn));
      runAlone(step);
      return;
    }
    steps_.emplace_back(std::forward<Fn>(fn));
    // Fired but mid-way through the runner's stack (not running a step
    // right now): run the rest now, as Twisted does.
    if (called_ && paused_ == 0 && !waiting_ && !running_) run(this);
  }
  // Appends the step of chainDeferred(target) (D14), adopting one reference
  // to `target`, and runs the chain if it can run now. The runner fires
  // `target` without recursing (see Handoff).
  void addChainedDeferred(ChainState* target);
  // Appends the step of a coroutine suspending on this chain, which takes
  // the result; the chain carries None after it. Never runs it now: the
  // caller found !resultReady(), so the chain gets to it by itself.
  template <typename Fn>
  void addAwaitStep(Fn&& fn) {
    steps_.emplace_back(std::forward<Fn>(fn));
    tail_ = typeOf<void>();
  }
  // Whether a returned or awaited chain gives its result at once (D13a,
  // Twisted's _runCallbacks): it has one and is neither paused nor waiting.
  // Unlike Twisted, not while one of its own steps is running: that step
  // holds the result (moved into its argument). A chain handing its result
  // to the Deferred chainDeferred() fires is not such a step: it holds None.
  bool resultReady() const {
    return called_ && paused_ == 0 && !waiting_ && (!running_ || handingOff_);
  }
  // The type a returned or awaited handle must have: what the chain gives
  // at once when resultReady(), else what it will give at the end of its
  // steps (tail_). The first is tail_ too, unless steps are still queued:
  // then the chain is on a runner's stack below the chain it handed its
  // result to (resume or chainDeferred), and holds None.
  const TypeInfo* handOverType() const {
    return steps_.pending() && resultReady() ? typeOf<void>() : tail_;
  }
  // After another chain or a coroutine took the result resultReady() offered:
  // with no step queued, the chain carries None from now on.
  void resultTaken() {
    if (!steps_.pending()) tail_ = typeOf<void>();
  }

  // --- the result, for steps (callback_steps.h, coroutine.h, deferred_list.h) ---
  // Holds a Failure (else a value, or None).
  bool isFailure() const { return isFailure_; }
  // The Failure held; only when isFailure().
  const Failure& failure() const { return failure_; }
  // The value held now is a T built from `args` (None for void). The
  // Failure, if any, must have been taken first.
  template <typename T, typename... A>
  void emplaceValue(A&&... args) {
    value_.template emplace<T>(std::forward<A>(args)...);
  }
  // Moves the value out (None for void): the caller has checked the type.
  template <typename T>
  T takeValue() {
    return value_.template take<T>();
  }
  // The value, left in place. Same contract as takeValue().
  template <typename T>
  const T& peekValue() const {
    return value_.template peek<T>();
  }
  void clearValue() noexcept { value_.reset(); }
  // Takes `other`'s result (value or Failure); `other` is left with None.
  void takeResultFrom(ChainState& other) noexcept;
  void setFailure(Failure failure) noexcept {
    value_.reset();
    failure_ = std::move(failure);
    isFailure_ = true;
    failureConsumed_ = false;
  }
  // Moves the Failure out: this chain no longer holds an unhandled error.
  Failure takeFailure() noexcept {
    isFailure_ = false;
    return std::move(failure_);
  }
  // The Failure held goes on to later errbacks but is not reported as
  // unhandled (DeferredList's consumeErrors); until the next setFailure().
  void consumeFailure() noexcept { failureConsumed_ = true; }

  // --- control --------------------------------------------------------------
  void pause() { ++paused_; }
  void unpause();
  void cancel();
  // What cancel() calls while unfired (the canceller takes its own reference
  // through the ChainState& it is given). Replaces any earlier one.
  template <typename C>
  void setCanceller(C&& canceller) {
    canceller_ = std::forward<C>(canceller);
  }
  // cancel() only calls the canceller, and keeps it (see cancellerOnly_).
  void setCancellerOnly() { cancellerOnly_ = true; }
  // This chain is `link`'s coroutine's result: cancel() goes to what it
  // awaits. detachCoroutine(link) ends that if `link` is still the one.
  void attachCoroutine(CoroutineLink* link) { coroutine_ = link; }
  void detachCoroutine(const CoroutineLink* link) {
    if (coroutine_ == link) coroutine_ = nullptr;
  }

  // --- state (Deferred's queries) -------------------------------------------
  bool called() const { return called_; }
  std::uint32_t pauseCount() const { return paused_; }
  bool waiting() const { return waiting_; }

  // Throws DeferredTypeError for a handle of type `handle` adding to this
  // chain (`firing` false) or firing it (`firing` true).
  [[noreturn]] void typeMismatch(const TypeInfo* handle, bool firing) const;
  // Throws DeferredTypeError for a handle of type `handle` returned from a
  // callback or awaited, where the chain hands over handOverType().
  [[noreturn]] void handOverMismatch(const TypeInfo* handle) const;

  // --- looking at the result (Deferred::result()) ------------------------
  // Fired, not waiting, and not lent to a step running now.
  bool hasResult() const { return called_ && !waiting_ && (!running_ || handingOff_); }
  // Throws DeferredTypeError unless the value held now (None when empty)
  // is a `handle`.
  void checkResultType(const TypeInfo* handle) const {
    const TypeInfo* held = value_.hasValue() ? value_.type() : typeOf<void>();
    if (held != handle) resultTypeMismatch(handle);
  }
  [[noreturn]] void resultTypeMismatch(const TypeInfo* handle) const;
  // Throws std::logic_error for use of an empty (moved-from) handle.
  [[noreturn]] static void nullHandle();

 private:
  // Invariants, between public calls:
  // * created_ never changes; tail_ is what the next added step receives.
  // * The result is a Failure when isFailure_ (value_ empty), else value_
  //   (empty = None). Before the chain fires it is None.
  // * called_ never reverts. While !called_ the canceller may be set; once
  //   called_ it is empty (D22).
  // * The steps steps_ has given out (next()) have run or are running; the
  //   runner empties the list when it has run every step.
  // * waiting_: a resume Handoff back to this chain sits on another chain;
  //   chainedTo_ is that chain while it lives (not owned), else null.
  // * running_: a step of this chain is executing, or (handingOff_ also set)
  //   the Deferred a chainDeferred() step fired is running its callbacks.
  // * refs_ counts handles, runner stack entries, Handoff targets and the
  //   references callers take around re-entrant calls; 0 destroys.
  // * coroutine_ is set from a coroutine's start until its body ends.
  const TypeInfo* created_;
  const TypeInfo* tail_;  // what the next added step receives
  ValueBox value_;
  Failure failure_;
  bool isFailure_ = false;
  // The Failure was consumed by a DeferredList with consumeErrors: it goes
  // on to later errbacks, but is not reported as unhandled. Cleared by the
  // next setFailure().
  bool failureConsumed_ = false;
  bool called_ = false;
  // Twisted's _runningCallbacks: a step of this chain is executing, or the
  // Deferred a chainDeferred() step fired is running its callbacks.
  bool running_ = false;
  bool handingOff_ = false;  // the latter: running_ set by the runner (Handoff)
  bool waiting_ = false;     // waiting on a returned Deferred (D13b)
  bool suppressAlreadyCalled_ = false;
  // cancel() only calls the canceller, while unfired, and keeps it for the
  // next cancel(): no CancelledError of its own, no forwarding to a chain
  // it waits on (Twisted's DeferredList.cancel).
  bool cancellerOnly_ = false;
  std::uint32_t paused_ = 0;
  std::uint32_t refs_ = 1;
  ChainState* chainedTo_ = nullptr;  // what we wait on (not owned)
  CoroutineLink* coroutine_ = nullptr;
  StepList steps_;
  absl::AnyInvocable<void(ChainState&)> canceller_;
  std::unique_ptr<DebugInfo> debug_;

  explicit ChainState(const TypeInfo* created) : created_(created), tail_(created) {}
  ~ChainState();
  bool beginFireAgain();
  // What endFire() does before running the chain.
  void markFired();
  // Whether addStep() may run a step in place: fired, not paused or
  // waiting, no step running and none queued.
  bool idle() const {
    return called_ && paused_ == 0 && !waiting_ && !running_ && !steps_.pending();
  }
  // addStep's case of idle(): runs `step` at once, never queued.
  void runAlone(Step& step);
  static void destroy(ChainState* chain) noexcept;
  static void run(ChainState* start);
  // Runs a fire Handoff of `current` (see Handoff), adopting its reference
  // to `target`. Returns `target` (with that reference) when the runner must
  // run its callbacks before `current`'s next step, else null.
  static ChainState* fireChained(ChainState* current, ChainState* target);
  // Handles a Deferred a step of `current` returned: steals its result
  // (D13a) or makes `current` wait on it (D13b). Consumes `returned`'s
  // reference. Returns true if `current` now waits.
  static bool absorbReturned(ChainState* current, ChainState* returned);
  // Whether this chain waits, directly or through the chains it waits on,
  // on `other` (D13b links followed; a loop, for rings of any length).
  bool waitsOn(const ChainState* other) const;
  void cancelUnfired();
  std::string debugText() const;
  friend struct Handoff;
};

// A step that gives the chain's result to another chain. The runner
// recognises it (by its Ops), moves the result and pushes the other chain
// on its stack instead of calling anything, so that neither kind recurses:
// * resume: appended to a Deferred returned from a callback of `target`
//   (D13b); `target` waits on it and resumes with its result.
// * fire: chainDeferred(target) (D14); `target` is fired with the result,
//   and this chain counts as running until `target`'s callbacks are done.
// Either way this chain is left with None.
struct Handoff {
  ChainState* target;  // owned reference
  // resume: the chain this step sits in (not owned); fire: null. Two
  // pointers, no kind field: a 24-byte step cost 4 instructions more per
  // relocation (W5 chained_not_fired, callgrind).
  ChainState* source;

  static Handoff resume(ChainState* outer, ChainState* inner) {
    return Handoff(outer, inner);
  }
  static Handoff fire(ChainState* target) { return Handoff(target, nullptr); }
  bool resumes() const { return source != nullptr; }
  Handoff(Handoff&& other) noexcept
      : target(std::exchange(other.target, nullptr)), source(other.source) {}
  ~Handoff();
  ChainState* operator()(ChainState&) { return nullptr; }  // never invoked

 private:
  Handoff(ChainState* t, ChainState* s) : target(t), source(s) {}
};

// The memory of destroyed ChainStates, kept per thread for the next one:
// malloc + free were ~140 of the 291 instructions of creating and dropping
// a Deferred (callgrind, W5 instantiate). 256 blocks of ~250 bytes: ~64 KiB.
using ChainBlocks = ThreadBlockCache<sizeof(ChainState), 256>;

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_CHAIN_STATE_H_
