// torsion/fuzz/deferred_program.h: a sequence of Deferred operations,
// decoded from fuzzer input, that both the real Deferreds
// (deferred_operations_fuzzer.cc) and the reference model
// (deferred_model.h) execute.
//
// A program acts on a pool of at most kMaxDeferreds Deferred<int>s, created
// by its own operations. Top-level operations create, fire, errback, pause,
// unpause, cancel, chain (chainDeferred) or add a step. A step is one
// addCallback / addErrback / addBoth / addCallbacks entry whose callables
// do what their Action says when they run: return a value or None, throw,
// recover, propagate, return one of the pool's Deferreds, or act on another
// Deferred of the pool (fire, errback, pause, unpause, cancel, add a step:
// re-entrancy). Everything is decided by the input; nothing is random.
#ifndef TORSION_FUZZ_DEFERRED_PROGRAM_H_
#define TORSION_FUZZ_DEFERRED_PROGRAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"

namespace torsion::fuzz {

inline constexpr int kMaxDeferreds = 6;

// What a callable does when it runs. Which kinds a role may use (and the
// C++ type a callable returns) is fixed when the step is added:
//   callback/both:  kMap (-> int), kToVoid (-> None), kThrow,
//                   kReturnInt / kReturnVoid (-> Deferred<int> / <void>),
//                   an effect (the input goes on unchanged)
//   errback:        kRecover (-> the chain's type), kPropagate (return the
//                   Failure), kThrow, kReturnInt (-> Deferred<chain's type>),
//                   an effect (then propagate)
enum class Act : std::uint8_t {
  kMap,         // value v -> (31 v + param) mod 100003; None -> param
  kToVoid,      // -> None
  kThrow,       // throw FuzzError{param}
  kReturnInt,   // return Deferred `target` (typed int, or the chain's type)
  kReturnVoid,  // return Deferred `target` typed void
  kRecover,     // errback: return param (or None on a void chain)
  kPropagate,   // errback/both: hand the result on unchanged
  // Effects on Deferred `target`:
  kFire,     // callback(param)
  kErrback,  // errback(FuzzError{param})
  kPause,
  kUnpause,
  kCancel,
  kAdd,  // add step `step` (a plain one: no effects, no returns)
};

inline bool isEffect(Act a) { return a >= Act::kFire; }

struct Action {
  Act kind = Act::kMap;
  int target = 0;  // a pool index
  int param = 0;
  int step = -1;  // kAdd: the step to add
};

enum class StepKind : std::uint8_t { kCallback, kErrback, kBoth, kCallbacks };

struct StepSpec {
  StepKind kind = StepKind::kCallback;
  Action first;   // the callback, errback or both callable
  Action second;  // addCallbacks: the errback
};

// What a Deferred's canceller does (Deferred(canceller)); kNone: none.
enum class Canceller : std::uint8_t { kNone, kCallback, kErrback, kThrow, kNothing };

enum class Op : std::uint8_t {
  kCreate,   // new Deferred<int> with canceller `canceller` (param)
  kAdd,      // add step `step` to `target`
  kFire,     // target.callback(param)
  kErrback,  // target.errback(FuzzError{param})
  kPause,
  kUnpause,
  kCancel,
  kChain,       // target.chainDeferred(other)
  kDeepLadder,  // param links of chainDeferred, fired; checked on its own
};

struct Operation {
  Op op = Op::kCreate;
  int target = 0;
  int other = 0;
  int param = 0;
  int step = -1;
  Canceller canceller = Canceller::kNone;
};

struct Program {
  std::vector<StepSpec> steps;  // indexed by step id
  std::vector<Operation> ops;
};

// The value a kMap callable returns.
inline int mapValue(bool none, int v, int param) {
  return none ? param : static_cast<int>((static_cast<long>(v) * 31 + param) % 100003);
}

// How a Program's operations and a callable's effects map onto the verbs of
// a side that runs them: the reference model and the harness on torsion's
// Deferreds. Written once so that both read a program alike. A Side is a
// friend of this struct and has create(Canceller, int), addStep(d, step),
// callbackLogged(d, value), errbackLogged(d, code), pause(d), unpause(d),
// cancelLogged(d), chain(d, other), deepLadder(links), size(), called(d)
// and userPauses(d).
struct ProgramRunner {
  template <typename Side>
  static void operation(Side& side, const Operation& op) {
    switch (op.op) {
      case Op::kCreate:
        side.create(op.canceller, op.param);
        break;
      case Op::kAdd:
        side.addStep(op.target, op.step);
        break;
      case Op::kChain:
        side.chain(op.target, op.other);
        break;
      case Op::kDeepLadder:
        side.deepLadder(op.param);
        break;
      default:
        verb(side,
             op.op == Op::kFire      ? Act::kFire
             : op.op == Op::kErrback ? Act::kErrback
             : op.op == Op::kPause   ? Act::kPause
             : op.op == Op::kUnpause ? Act::kUnpause
                                     : Act::kCancel,
             op.target, op.param);
        break;
    }
  }

  // An effect a callable has on another Deferred of the pool while a chain
  // runs (isEffect(a.kind)).
  template <typename Side>
  static void effect(Side& side, const Action& a) {
    if (a.kind == Act::kAdd) {
      side.addStep(a.target, a.step);
    } else {
      verb(side, a.kind, a.target, a.param);
    }
  }

  // Unpauses everything and fires what is unfired (cancel(), else errback),
  // repeatedly, until every Deferred has fired and nothing waits: what is
  // done before the handles are dropped.
  template <typename Side>
  static void finish(Side& side) {
    for (int round = 0; round < 16; ++round) {
      bool acted = false;
      for (int d = 0; d < side.size(); ++d) {
        while (side.userPauses(d) > 0) {
          side.unpause(d);
          acted = true;
        }
      }
      for (int d = 0; d < side.size(); ++d) {
        if (side.called(d)) continue;
        side.cancelLogged(d);
        if (!side.called(d)) side.errbackLogged(d, 999);
        acted = true;
      }
      if (!acted) return;
    }
  }

 private:
  template <typename Side>
  static void verb(Side& side, Act kind, int d, int param) {
    switch (kind) {
      case Act::kFire:
        side.callbackLogged(d, param);
        break;
      case Act::kErrback:
        side.errbackLogged(d, param);
        break;
      case Act::kPause:
        side.pause(d);
        break;
      case Act::kUnpause:
        side.unpause(d);
        break;
      case Act::kCancel:
        side.cancelLogged(d);
        break;
      default:
        break;
    }
  }
};

// One line per operation, for failure messages.
std::string describe(const Program& program);

// Decodes the whole input. `maxLadder` bounds kDeepLadder.
Program decodeProgram(FuzzInput& in, int maxLadder);

}  // namespace torsion::fuzz

#endif  // TORSION_FUZZ_DEFERRED_PROGRAM_H_
