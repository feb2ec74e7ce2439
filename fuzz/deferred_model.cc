#include "fuzz/deferred_model.h"

#include <string>
#include <utility>

#include "fuzz/check.h"

namespace torsion::fuzz {

std::string DeferredModel::text(const Result& r) {
  switch (r.kind) {
    case Result::kNone:
      return "None";
    case Result::kInt:
      return std::to_string(r.value);
    case Result::kFailure:
      return r.code;
  }
  return "?";
}

DeferredModel::Type DeferredModel::outputOf(const Action& a, Type in, bool errbackRole) {
  if (errbackRole) return in;  // an errback gives the chain back its type
  switch (a.kind) {
    case Act::kMap:
    case Act::kThrow:  // declared to return int
    case Act::kReturnInt:
      return Type::kInt;
    case Act::kToVoid:
    case Act::kReturnVoid:
      return Type::kVoid;
    default:  // kPropagate and the effects hand the input on
      return in;
  }
}

DeferredModel::State DeferredModel::state(int d) const {
  const D& x = ds_[d];
  return {x.called, x.userPaused > 0 || x.waiting, x.waiting,
          x.called && x.result.kind == Result::kFailure};
}

int DeferredModel::failuresLeft() const {
  int n = 0;
  for (const D& x : ds_) n += x.called && x.result.kind == Result::kFailure;
  return n;
}

// --- firing (Twisted's _startRunCallbacks) -----------------------------------

DeferredModel::Fired DeferredModel::fire(int d, Result result) {
  D& x = ds_[d];
  if (x.called) {
    if (x.suppressAlreadyCalled) {  // D18: the one late result after cancel()
      x.suppressAlreadyCalled = false;
      return Fired::kOk;
    }
    return Fired::kAlreadyCalled;
  }
  x.called = true;
  x.canceller = Canceller::kNone;  // never called once fired
  x.result = std::move(result);
  runCallbacks(d);
  return Fired::kOk;
}

bool DeferredModel::stealable(int d) const {
  const D& x = ds_[d];
  // [D13a typed] not while one of its own callbacks holds the value.
  return x.called && !x.waiting && x.userPaused == 0 && (!x.running || x.handingOff);
}

DeferredModel::Type DeferredModel::handOverType(int d) const {
  return stealable(d) && !ds_[d].steps.empty() ? Type::kVoid : ds_[d].tail;
}

bool DeferredModel::waitsOn(int from, int to) const {
  for (int x = from; ds_[x].waiting && ds_[x].chainedTo >= 0;) {
    x = ds_[x].chainedTo;
    if (x == to) return true;
  }
  return false;
}

// --- the runner (Twisted's _runCallbacks) -------------------------------------

void DeferredModel::runCallbacks(int self) {
  if (ds_[self].running) return;
  std::vector<int> chain = {self};
  while (!chain.empty()) {
    int cur = chain.back();
    if (ds_[cur].userPaused > 0 || ds_[cur].waiting) {
      // [D13f] Twisted returns here; torsion lets the chains below go on.
      chain.pop_back();
      continue;
    }
    bool finished = true;
    ds_[cur].chainedTo = -1;
    while (!ds_[cur].steps.empty()) {
      Step step = ds_[cur].steps.front();
      ds_[cur].steps.pop_front();
      if (step.kind == Step::kContinuation) {
        D& chainee = ds_[step.other];
        chainee.result = std::exchange(ds_[cur].result, Result{});
        chainee.waiting = false;
        chain.push_back(step.other);
        finished = false;
        break;
      }
      ds_[cur].running = true;
      int returned = invoke(cur, step);
      ds_[cur].running = false;
      if (returned < 0) continue;
      if (returned == cur) {
        // [D13h] Twisted warns and wedges the chain; torsion fails it.
        ds_[cur].result = {Result::kFailure, 0, "L"};
        continue;
      }
      if (stealable(returned)) {
        ds_[cur].result = std::exchange(ds_[returned].result, Result{});
        // [typed] the donor carries None, unless callbacks are queued: they
        // keep their types (D13a typed).
        if (ds_[returned].steps.empty()) ds_[returned].tail = Type::kVoid;
        continue;
      }
      ds_[cur].waiting = true;
      ds_[cur].chainedTo = returned;
      Step continuation;
      continuation.kind = Step::kContinuation;
      continuation.other = cur;
      ds_[returned].steps.push_back(continuation);
      ds_[returned].tail = Type::kVoid;  // [typed]
      break;
    }
    if (finished) chain.pop_back();
  }
}

int DeferredModel::invoke(int cur, const Step& step) {
  // A copy: as in Twisted, the Deferred keeps its result while the callable
  // runs and gets the callable's result when it returns.
  Result in = ds_[cur].result;
  bool failure = in.kind == Result::kFailure;
  if (step.kind == Step::kChainTo) {
    // chainDeferred: other.callback(result) or other.errback(failure); the
    // chain goes on with None, or with AlreadyCalledError. The value goes
    // to the other chain: this one holds None while that one runs.
    ds_[cur].result = {};
    ds_[cur].handingOff = true;
    Fired f = fire(step.other, in);
    ds_[cur].handingOff = false;
    ds_[cur].result =
        f == Fired::kAlreadyCalled ? Result{Result::kFailure, 0, "A"} : Result{};
    return -1;
  }
  const StepSpec& spec = program_.steps[step.spec];
  switch (spec.kind) {
    case StepKind::kCallback:
      if (failure) break;
      return runAction(cur, step.spec, "cb", spec.first, in, step.errback, false);
    case StepKind::kErrback:
      if (!failure) break;
      return runAction(cur, step.spec, "eb", spec.first, in, step.errback, true);
    case StepKind::kBoth:
      return runAction(cur, step.spec, "both", spec.first, in, step.errback, false);
    case StepKind::kCallbacks:
      if (failure) {
        return runAction(cur, step.spec, "eb", spec.second, in, step.errback, true);
      }
      return runAction(cur, step.spec, "cb", spec.first, in, step.errback, false);
  }
  ds_[cur].result = in;  // pass-through side of the pair
  return -1;
}

int DeferredModel::runAction(int cur, int stepId, const char* role, const Action& a,
                             Result in, Type errbackType, bool errbackRole) {
  log_.push_back("s" + std::to_string(stepId) + " " + role + " " + text(in));
  Result out = in;
  switch (a.kind) {
    case Act::kThrow:
      out = {Result::kFailure, 0, "E" + std::to_string(a.param)};
      break;
    case Act::kMap:
      out = {Result::kInt, mapValue(in.kind != Result::kInt, in.value, a.param), {}};
      break;
    case Act::kToVoid:
      out = {};
      break;
    case Act::kRecover:
      out = errbackType == Type::kInt ? Result{Result::kInt, a.param, {}} : Result{};
      break;
    case Act::kPropagate:
      break;
    case Act::kReturnInt:
      return returnDeferred(cur, a.target, errbackRole ? errbackType : Type::kInt);
    case Act::kReturnVoid:
      return returnDeferred(cur, a.target, Type::kVoid);
    default:
      ProgramRunner::effect(*this, a);
      break;
  }
  ds_[cur].result = std::move(out);
  return -1;
}

int DeferredModel::returnDeferred(int cur, int target, Type declared) {
  ds_[cur].result = {};  // the Deferred is the result until taken or waited on
  if (handOverType(target) != declared) {
    // [typed] the step runner's check: a DeferredTypeError becomes the Failure.
    ds_[cur].result = {Result::kFailure, 0, "T"};
    return -1;
  }
  if (target != cur && waitsOn(target, cur)) {
    // [D13h] a ring: `target` waits on `cur`, which would wait on it.
    ds_[cur].result = {Result::kFailure, 0, "L"};
    return -1;
  }
  return target;
}

// --- operations -----------------------------------------------------------------

void DeferredModel::callbackLogged(int d, int value) {
  Fired f = fire(d, {Result::kInt, value, {}});
  log_.push_back("callback d" + std::to_string(d) +
                 (f == Fired::kOk ? ": ok" : ": AlreadyCalledError"));
}

void DeferredModel::errbackLogged(int d, int code) {
  Fired f = fire(d, {Result::kFailure, 0, "E" + std::to_string(code)});
  log_.push_back("errback d" + std::to_string(d) +
                 (f == Fired::kOk ? ": ok" : ": AlreadyCalledError"));
}

void DeferredModel::addStep(int d, int stepId) {
  const StepSpec& spec = program_.steps[stepId];
  Step step;
  step.spec = stepId;
  step.in = ds_[d].tail;
  Type out = step.in;
  switch (spec.kind) {
    case StepKind::kCallback:
    case StepKind::kBoth:
      out = outputOf(spec.first, step.in, false);
      break;
    case StepKind::kErrback:
      step.errback = step.in;
      out = step.in;
      break;
    case StepKind::kCallbacks:
      out = outputOf(spec.first, step.in, false);
      step.errback = out;
      break;
  }
  log_.push_back("add s" + std::to_string(stepId) + " to d" + std::to_string(d) +
                 (step.in == Type::kInt ? " as int" : " as void"));
  D& x = ds_[d];
  x.tail = out;
  x.steps.push_back(step);
  if (x.called && x.userPaused == 0 && !x.waiting && !x.running) runCallbacks(d);
}

void DeferredModel::chain(int a, int b) {
  std::string line = "chain d" + std::to_string(a) + " d" + std::to_string(b);
  if (ds_[a].tail != Type::kInt) {  // [typed] chainDeferred(Deferred<int>)
    log_.push_back(line + ": refused");
    return;
  }
  log_.push_back(line + ": ok");
  Step step;
  step.kind = Step::kChainTo;
  step.other = b;
  D& x = ds_[a];
  x.tail = Type::kVoid;
  x.steps.push_back(step);
  if (x.called && x.userPaused == 0 && !x.waiting && !x.running) runCallbacks(a);
}

void DeferredModel::pause(int d) {
  log_.push_back("pause d" + std::to_string(d));
  ++ds_[d].userPaused;
}

void DeferredModel::unpause(int d) {
  log_.push_back("unpause d" + std::to_string(d));
  D& x = ds_[d];
  if (x.userPaused == 0) return;  // [D12]
  if (--x.userPaused == 0 && x.called) runCallbacks(d);
}

void DeferredModel::cancel(int d) {
  int target = d;
  while (ds_[target].called && ds_[target].waiting && ds_[target].chainedTo >= 0) {
    target = ds_[target].chainedTo;  // D21: cancel what it waits on
  }
  D& x = ds_[target];
  if (x.called) return;  // D20
  if (x.canceller != Canceller::kNone) {
    Canceller canceller = x.canceller;  // kept: a throwing one is called again
    log_.push_back("canceller d" + std::to_string(target));
    switch (canceller) {
      case Canceller::kCallback:
        fire(target, {Result::kInt, x.cancellerParam, {}});
        break;
      case Canceller::kErrback:
        fire(target, {Result::kFailure, 0, "E" + std::to_string(x.cancellerParam)});
        break;
      case Canceller::kThrow:
        throw Thrown{ds_[target].cancellerParam};
      default:
        break;
    }
  } else {
    ds_[target].suppressAlreadyCalled = true;  // D18
  }
  if (!ds_[target].called) fire(target, {Result::kFailure, 0, "C"});
}

void DeferredModel::cancelLogged(int d) {
  log_.push_back("cancel d" + std::to_string(d));
  try {
    cancel(d);
  } catch (const Thrown& t) {
    log_.push_back("cancel d" + std::to_string(d) + " threw E" + std::to_string(t.code));
  }
}

void DeferredModel::create(Canceller canceller, int param) {
  D x;
  x.canceller = canceller;
  x.cancellerParam = param;
  ds_.push_back(std::move(x));
}

}  // namespace torsion::fuzz
