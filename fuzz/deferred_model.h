// torsion/fuzz/deferred_model.h: a reference model of Twisted's Deferred
// rules, for the deferred_operations fuzz target.
//
// It executes a Program (deferred_program.h) the way twisted.internet.defer
// (Twisted 22.4) would: _startRunCallbacks (callback/errback, one swallowed
// result after a canceller-less cancel), _runCallbacks (the iterative
// runner: a returned Deferred's result is taken at once when it has one and
// is not paused or waiting, else the outer waits on a continuation at the
// end of its callbacks), cancel (canceller, CancelledError, forwarding to
// the Deferred waited on; a canceller that throws is kept for the next
// cancel), pause/unpause and chainDeferred (which fires the other Deferred
// from inside the chain, recursively, as Twisted does).
// Plain data and loops: nothing here uses torsion's Deferreds.
//
// On top of Twisted's rules it has torsion's, each marked where it is
// applied:
//  * [typed] the type layer of docs/deferred.md: a chain carries int or
//    void (None); adding through a handle of the wrong type is refused
//    (the harness then uses the other type); returning a Deferred whose
//    chain hands over another type than declared is a DeferredTypeError
//    Failure; a returned Deferred, and a chain that chainDeferred()ed,
//    carry void afterwards.
//  * [D13a typed] a returned Deferred one of whose own callbacks is running
//    is waited on, not taken (that callback holds the value); one handing
//    its value to the Deferred its chainDeferred() step fired is taken at
//    once and gives None; one taken with callbacks still queued must be
//    returned as void, and those callbacks keep their types.
//  * [D13f] a paused Deferred met while pushing results forward does not
//    stop the chains below it on the runner's stack (Twisted's loop
//    returns there); docs/deferred.md.
//  * [D13h] a callback returning its own Deferred, or one that waits
//    (through returned Deferreds) on the Deferred the callback is on,
//    fails the chain with a logic_error (Twisted warns or says nothing, and
//    the ring never fires); docs/deferred.md.
//  * [D12] unpause() on an unpaused Deferred does nothing (Twisted's
//    counter goes negative); docs/deferred.md.
#ifndef TORSION_FUZZ_DEFERRED_MODEL_H_
#define TORSION_FUZZ_DEFERRED_MODEL_H_

#include <deque>
#include <string>
#include <vector>

#include "fuzz/deferred_program.h"

namespace torsion::fuzz {

class DeferredModel {
 public:
  struct State {
    bool called = false;
    bool paused = false;  // paused by pause(), or waiting
    bool waiting = false;
    bool failed = false;  // holds a Failure
    friend bool operator==(const State&, const State&) = default;
  };

  explicit DeferredModel(const Program& program) : program_(program) {}

  // Runs one top-level operation (kDeepLadder does nothing here: the
  // harness checks a ladder on its own).
  void apply(const Operation& op) { ProgramRunner::operation(*this, op); }
  // ProgramRunner::finish: everything unpaused and fired.
  void finish() { ProgramRunner::finish(*this); }

  int size() const { return static_cast<int>(ds_.size()); }
  State state(int d) const;
  // Deferreds left holding a Failure: each reports "Unhandled error in
  // Deferred" when dropped.
  int failuresLeft() const;
  const std::vector<std::string>& log() const { return log_; }

 private:
  friend struct ProgramRunner;
  enum class Type { kInt, kVoid };
  struct Result {
    enum Kind { kNone, kInt, kFailure } kind = kNone;
    int value = 0;
    std::string code;  // Failure: "E<n>", "C", "A", "T", "L"
  };
  struct Step {
    enum Kind { kSpec, kContinuation, kChainTo } kind = kSpec;
    int spec = -1;
    Type in = Type::kInt;       // what the chain carried when it was added
    Type errback = Type::kInt;  // what the errback callable must return
    int other = -1;             // continuation: the waiting Deferred; chainTo: target
  };
  struct D {
    bool called = false;
    Result result;
    bool waiting = false;
    int chainedTo = -1;
    int userPaused = 0;
    bool running = false;
    // running is set by a chainDeferred() step firing its target: the value
    // has gone to the target, the chain holds None and can be taken.
    bool handingOff = false;
    bool suppressAlreadyCalled = false;
    Canceller canceller = Canceller::kNone;
    int cancellerParam = 0;
    std::deque<Step> steps;
    Type tail = Type::kInt;
  };
  // What a fire or a cancel that may throw reports.
  enum class Fired { kOk, kAlreadyCalled };
  struct Thrown {
    int code;
  };

  static std::string text(const Result& r);
  static Type outputOf(const Action& a, Type in, bool errbackRole);

  Fired fire(int d, Result result);
  void runCallbacks(int self);
  // Runs one step of `cur`; returns the Deferred its callable returned, or
  // -1 (the new result is then in cur's result).
  int invoke(int cur, const Step& step);
  int runAction(int cur, int stepId, const char* role, const Action& a, Result in,
                Type errbackType, bool errbackRole);
  int returnDeferred(int cur, int target, Type declared);
  bool stealable(int d) const;
  // The type a returned `d` hands over: void when it is taken at once with
  // callbacks still queued, else what its last callback gives.
  Type handOverType(int d) const;
  bool waitsOn(int from, int to) const;
  // The verbs ProgramRunner calls.
  void create(Canceller canceller, int param);
  void deepLadder(int /*links*/) {}
  bool called(int d) const { return ds_[d].called; }
  int userPauses(int d) const { return ds_[d].userPaused; }
  void addStep(int d, int stepId);
  void chain(int a, int b);
  void pause(int d);
  void unpause(int d);
  // Throws Thrown when the canceller throws.
  void cancel(int d);
  void cancelLogged(int d);
  void callbackLogged(int d, int value);
  void errbackLogged(int d, int code);

  const Program& program_;
  std::vector<D> ds_;
  std::vector<std::string> log_;
};

}  // namespace torsion::fuzz

#endif  // TORSION_FUZZ_DEFERRED_MODEL_H_
