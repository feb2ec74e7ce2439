// Fuzz target: sequences of Deferred operations (deferred/deferred.h)
// checked against a reference model of Twisted's rules (deferred_model.h).
//
// The input decodes to a Program (deferred_program.h): Deferred<int>s with
// or without cancellers; callbacks, errbacks, addBoth and addCallbacks
// steps whose callables map, throw, recover, return Deferreds of the pool,
// or fire / errback / pause / unpause / cancel / add to other Deferreds
// while the chain runs; top-level callback, errback, pause, unpause, cancel
// and chainDeferred. The same program runs on torsion's Deferreds and on
// the model. Properties:
//  * After every operation both wrote the same event log (what each
//    callable received, what each fire and cancel reported) and every
//    Deferred has the same called / paused / waiting / failed state.
//  * At the end, with everything unpaused and fired, dropping the handles
//    reports "Unhandled error in Deferred" once for each Deferred left
//    holding a Failure, and nothing leaks (LeakSanitizer, in the libFuzzer
//    build).
//  * A ladder of chainDeferred links (d0.chainDeferred(d1), d1 to d2, ...)
//    delivers the first Deferred's result to the last.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/log.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "deferred/failure.h"
#include "deferred/outcome.h"
#include "fuzz/check.h"
#include "fuzz/deferred_model.h"
#include "fuzz/deferred_program.h"
#include "fuzz/fuzz_input.h"

namespace torsion::fuzz {
namespace {

// chainDeferred ladders up to this many links: deep enough that a runner
// recursing per link overflows the fuzzer's stack (ASan frames are large),
// short enough to keep the target at a few hundred programs a second.
constexpr int kMaxLadder = 10000;

struct FuzzError {
  int code;
};

std::string codeOf(const Failure& f) {
  if (const FuzzError* e = f.value<FuzzError>()) return "E" + std::to_string(e->code);
  if (f.check<AlreadyCalledError>()) return "A";
  if (f.check<DeferredTypeError>()) return "T";
  if (f.check<CancelledError>()) return "C";
  if (f.check<std::logic_error>()) return "L";
  return "?(" + f.getErrorMessage() + ")";
}

template <typename R>
struct ChainOut {
  using type = R;
};
template <typename X>
struct ChainOut<Deferred<X>> {
  using type = X;
};

template <typename R>
inline constexpr bool kIsDeferred = !std::is_same_v<typename ChainOut<R>::type, R>;

class Harness;

// The callables of a step. In: what the chain carries; R: what the
// callable returns (chosen from its Action when the step is added).
template <typename In, typename R>
struct CallbackFn {
  using Result = R;
  Harness* h;
  int id;
  Action a;
  const char* role;
  R operator()(int v) const requires(!std::is_void_v<In>);
  R operator()() const requires(std::is_void_v<In>);
};

template <typename T, typename R>
struct ErrbackFn {
  Harness* h;
  int id;
  Action a;
  R operator()(Failure f) const;
};

template <typename In, typename R>
struct BothFn {
  Harness* h;
  int id;
  Action a;
  R operator()(Outcome<In> o) const;
};

// The program on torsion's Deferreds.
class Harness {
 public:
  explicit Harness(const Program& program) : program_(program) {}

  void apply(const Operation& op) { ProgramRunner::operation(*this, op); }
  // As DeferredModel::finish, with the pause counts this harness kept.
  void finish() { ProgramRunner::finish(*this); }

  int size() const { return static_cast<int>(pool_.size()); }
  DeferredModel::State state(int d) const {
    const Deferred<int>& x = pool_[d];
    return {x.called(), x.paused(), x.isWaiting(), x.hasFailure()};
  }
  const std::vector<std::string>& log() const { return log_; }
  void dropAll() { pool_.clear(); }

  // --- what the callables do ---------------------------------------------

  template <typename In, typename R>
  R onValue(int id, const char* role, const Action& a, bool none, int v) {
    log_.push_back("s" + std::to_string(id) + " " + role + " " +
                   (none ? std::string("None") : std::to_string(v)));
    if (a.kind == Act::kThrow) throw FuzzError{a.param};
    if constexpr (kIsDeferred<R>) {
      return returned<typename ChainOut<R>::type>(a.target);
    } else if constexpr (std::is_void_v<R>) {
      if (isEffect(a.kind)) ProgramRunner::effect(*this, a);
    } else {
      if (a.kind == Act::kMap) return mapValue(none, v, a.param);
      ProgramRunner::effect(*this, a);  // an effect on an int chain: the value goes on
      return v;
    }
  }

  template <typename T, typename R>
  R onFailure(int id, const Action& a, Failure f) {
    log_.push_back("s" + std::to_string(id) + " eb " + codeOf(f));
    if (a.kind == Act::kThrow) throw FuzzError{a.param};
    if constexpr (std::is_same_v<R, Failure>) {
      if (isEffect(a.kind)) ProgramRunner::effect(*this, a);
      return f;
    } else if constexpr (kIsDeferred<R>) {
      return returned<T>(a.target);
    } else if constexpr (!std::is_void_v<R>) {
      return a.param;  // kRecover
    }
  }

  template <typename In, typename R>
  R onOutcome(int id, const Action& a, Outcome<In> o) {
    bool failed = o.isFailure();
    int v = 0;
    std::string text = "None";
    if (failed) {
      text = codeOf(o.failure());
    } else if constexpr (!std::is_void_v<In>) {
      v = o.value();
      text = std::to_string(v);
    }
    log_.push_back("s" + std::to_string(id) + " both " + text);
    if (a.kind == Act::kThrow) throw FuzzError{a.param};
    if constexpr (std::is_same_v<R, Outcome<In>>) {
      if (isEffect(a.kind)) ProgramRunner::effect(*this, a);
      return o;
    } else if constexpr (kIsDeferred<R>) {
      return returned<typename ChainOut<R>::type>(a.target);
    } else if constexpr (!std::is_void_v<R>) {
      return mapValue(failed || std::is_void_v<In>, v, a.param);
    }
  }

 private:
  template <typename X>
  Deferred<X> returned(int target) {
    return pool_[target].template as<X>();
  }

  // --- the verbs ProgramRunner calls -------------------------------------

  friend struct fuzz::ProgramRunner;

  bool called(int d) const { return pool_[d].called(); }
  int userPauses(int d) const { return paused_[d]; }

  void create(Canceller kind, int param) {
    int index = size();
    paused_.push_back(0);
    if (kind == Canceller::kNone) {
      pool_.emplace_back();
      return;
    }
    pool_.emplace_back([this, index, kind, param](Deferred<int>& self) {
      log_.push_back("canceller d" + std::to_string(index));
      switch (kind) {
        case Canceller::kCallback:
          self.callback(param);
          break;
        case Canceller::kErrback:
          self.errback(Failure::of(FuzzError{param}));
          break;
        case Canceller::kThrow:
          throw FuzzError{param};
        default:
          break;
      }
    });
  }

  void callbackLogged(int d, int value) {
    std::string line = "callback d" + std::to_string(d);
    try {
      pool_[d].callback(value);
      log_.push_back(line + ": ok");
    } catch (const AlreadyCalledError&) {
      log_.push_back(line + ": AlreadyCalledError");
    }
  }

  void errbackLogged(int d, int code) {
    std::string line = "errback d" + std::to_string(d);
    try {
      pool_[d].errback(Failure::of(FuzzError{code}));
      log_.push_back(line + ": ok");
    } catch (const AlreadyCalledError&) {
      log_.push_back(line + ": AlreadyCalledError");
    }
  }

  void pause(int d) {
    log_.push_back("pause d" + std::to_string(d));
    ++paused_[d];
    pool_[d].pause();
  }

  void unpause(int d) {
    log_.push_back("unpause d" + std::to_string(d));
    if (paused_[d] > 0) --paused_[d];
    pool_[d].unpause();
  }

  void cancelLogged(int d) {
    log_.push_back("cancel d" + std::to_string(d));
    try {
      pool_[d].cancel();
    } catch (const FuzzError& e) {
      log_.push_back("cancel d" + std::to_string(d) + " threw E" +
                     std::to_string(e.code));
    }
  }

  // The "add"/"chain" line goes before what the new step logs when it runs
  // at once: the type is settled (or refused) before anything runs.
  void addStep(int d, int id) {
    std::size_t at = log_.size();
    std::string line = "add s" + std::to_string(id) + " to d" + std::to_string(d);
    try {
      addTyped<int>(pool_[d].as<int>(), id);
      log_.insert(log_.begin() + static_cast<std::ptrdiff_t>(at), line + " as int");
      return;
    } catch (const DeferredTypeError&) {
      // The chain carries void now; nothing was added or run.
    }
    addTyped<void>(pool_[d].as<void>(), id);
    log_.insert(log_.begin() + static_cast<std::ptrdiff_t>(at), line + " as void");
  }

  void chain(int a, int b) {
    std::size_t at = log_.size();
    std::string line = "chain d" + std::to_string(a) + " d" + std::to_string(b);
    try {
      pool_[a].as<int>().chainDeferred(pool_[b]);
      log_.insert(log_.begin() + static_cast<std::ptrdiff_t>(at), line + ": ok");
    } catch (const DeferredTypeError&) {
      log_.push_back(line + ": refused");
    }
  }

  void deepLadder(int links) {
    std::vector<Deferred<int>> ds(static_cast<std::size_t>(links) + 1);
    for (int i = 0; i < links; ++i) ds[i].chainDeferred(ds[i + 1]);
    int got = -1;
    ds.back().addCallback([&got](int v) { got = v; });
    ds.front().callback(7);
    FUZZ_CHECK(got == 7, "a ladder of " + std::to_string(links) +
                             " chainDeferred links delivered " + std::to_string(got));
  }

  template <typename In, typename Then>
  void withCallback(const Action& a, int id, const char* role, Then&& then) {
    switch (a.kind) {
      case Act::kMap:
      case Act::kThrow:
        then(CallbackFn<In, int>{this, id, a, role});
        break;
      case Act::kToVoid:
        then(CallbackFn<In, void>{this, id, a, role});
        break;
      case Act::kReturnInt:
        then(CallbackFn<In, Deferred<int>>{this, id, a, role});
        break;
      case Act::kReturnVoid:
        then(CallbackFn<In, Deferred<void>>{this, id, a, role});
        break;
      default:
        then(CallbackFn<In, In>{this, id, a, role});
        break;
    }
  }

  template <typename T, typename Then>
  void withErrback(const Action& a, int id, Then&& then) {
    switch (a.kind) {
      case Act::kRecover:
      case Act::kThrow:
        then(ErrbackFn<T, T>{this, id, a});
        break;
      case Act::kReturnInt:
        then(ErrbackFn<T, Deferred<T>>{this, id, a});
        break;
      default:
        then(ErrbackFn<T, Failure>{this, id, a});
        break;
    }
  }

  template <typename In, typename Then>
  void withBoth(const Action& a, int id, Then&& then) {
    switch (a.kind) {
      case Act::kMap:
      case Act::kThrow:
        then(BothFn<In, int>{this, id, a});
        break;
      case Act::kToVoid:
        then(BothFn<In, void>{this, id, a});
        break;
      case Act::kReturnInt:
        then(BothFn<In, Deferred<int>>{this, id, a});
        break;
      case Act::kReturnVoid:
        then(BothFn<In, Deferred<void>>{this, id, a});
        break;
      default:
        then(BothFn<In, Outcome<In>>{this, id, a});
        break;
    }
  }

  // Throws DeferredTypeError (before adding anything) if the chain does not
  // carry In.
  template <typename In>
  void addTyped(Deferred<In> h, int id) {
    const StepSpec& spec = program_.steps[id];
    switch (spec.kind) {
      case StepKind::kCallback:
        withCallback<In>(spec.first, id, "cb",
                         [&](auto f) { h.addCallback(std::move(f)); });
        break;
      case StepKind::kErrback:
        withErrback<In>(spec.first, id, [&](auto g) { h.addErrback(std::move(g)); });
        break;
      case StepKind::kBoth:
        withBoth<In>(spec.first, id, [&](auto f) { h.addBoth(std::move(f)); });
        break;
      case StepKind::kCallbacks:
        withCallback<In>(spec.first, id, "cb", [&](auto f) {
          using U = typename ChainOut<typename decltype(f)::Result>::type;
          withErrback<U>(spec.second, id,
                         [&](auto g) { h.addCallbacks(std::move(f), std::move(g)); });
        });
        break;
    }
  }

  const Program& program_;
  std::vector<Deferred<int>> pool_;
  std::vector<int> paused_;  // pause() calls not yet undone, as unpause() counts
  std::vector<std::string> log_;
};

template <typename In, typename R>
R CallbackFn<In, R>::operator()(int v) const requires(!std::is_void_v<In>) {
  return h->template onValue<In, R>(id, role, a, false, v);
}
template <typename In, typename R>
R CallbackFn<In, R>::operator()() const requires(std::is_void_v<In>) {
  return h->template onValue<In, R>(id, role, a, true, 0);
}
template <typename T, typename R>
R ErrbackFn<T, R>::operator()(Failure f) const {
  return h->template onFailure<T, R>(id, a, std::move(f));
}
template <typename In, typename R>
R BothFn<In, R>::operator()(Outcome<In> o) const {
  return h->template onOutcome<In, R>(id, a, std::move(o));
}

std::string describe(const DeferredModel::State& s) {
  std::string out;
  out += s.called ? "called" : "unfired";
  if (s.paused) out += " paused";
  if (s.waiting) out += " waiting";
  if (s.failed) out += " failed";
  return out;
}

std::string sideBySide(const std::vector<std::string>& got,
                       const std::vector<std::string>& expected) {
  std::string s;
  std::size_t n = std::max(got.size(), expected.size());
  bool marked = false;
  for (std::size_t i = 0; i < n; ++i) {
    std::string g = i < got.size() ? got[i] : "";
    std::string e = i < expected.size() ? expected[i] : "";
    bool differs = g != e;
    s += (differs && !marked) ? "  >> " : "     ";
    marked = marked || differs;
    s += g + std::string(g.size() < 34 ? 34 - g.size() : 1, ' ') + "| " + e + "\n";
  }
  return s;
}

void compare(const Program& program, const DeferredModel& model, const Harness& real,
             const std::string& when) {
  std::string context = "after " + when + " of the program\n" + describe(program) +
                        "  torsion log                       | model log\n" +
                        sideBySide(real.log(), model.log());
  FUZZ_CHECK(real.log() == model.log(), "the logs differ " + context);
  for (int d = 0; d < model.size(); ++d) {
    FUZZ_CHECK(real.state(d) == model.state(d),
               "d" + std::to_string(d) + " is " + describe(real.state(d)) +
                   ", the model says " + describe(model.state(d)) + " " + context);
  }
}

}  // namespace
}  // namespace torsion::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace torsion::fuzz;
  FuzzInput in(data, size);
  Program program = decodeProgram(in, kMaxLadder);
  torsion::log::LogCapture capture;
  int expectedUnhandled = 0;
  {
    DeferredModel model(program);
    Harness real(program);
    for (std::size_t i = 0; i < program.ops.size(); ++i) {
      const Operation& op = program.ops[i];
      if (op.op != Op::kDeepLadder) model.apply(op);
      real.apply(op);
      compare(program, model, real, "operation " + std::to_string(i + 1));
    }
    model.finish();
    real.finish();
    compare(program, model, real, "the final unpause-and-fire");
    for (int d = 0; d < real.size(); ++d) {
      DeferredModel::State s = real.state(d);
      FUZZ_CHECK(s.called && !s.paused && !s.waiting,
                 "d" + std::to_string(d) + " is " + describe(s) + " after the end\n" +
                     describe(program));
    }
    FUZZ_CHECK(capture.errors().empty(),
               "an error was logged before the handles were dropped: " +
                   capture.errors().front().message);
    expectedUnhandled = model.failuresLeft();
    real.dropAll();
  }
  int unhandled = 0;
  for (const torsion::log::Event& e : capture.errors()) {
    unhandled += e.message.find("Unhandled error in Deferred") != std::string::npos;
  }
  FUZZ_CHECK(unhandled == expectedUnhandled,
             std::to_string(unhandled) +
                 " unhandled errors reported, the model expects " +
                 std::to_string(expectedUnhandled) + "\n" + describe(program));
  return 0;
}
