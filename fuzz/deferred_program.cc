#include "fuzz/deferred_program.h"

#include <algorithm>
#include <string>
#include <vector>

namespace torsion::fuzz {
namespace {

constexpr int kMaxOperations = 64;

enum class Role { kCallback, kErrback, kBoth };

// The kinds each role may use; plain steps (added from inside a callable)
// have no effects and return no Deferred, which bounds the nesting.
const std::vector<Act>& kindsFor(Role role, bool plain) {
  static const std::vector<Act> callback = {
      Act::kMap,        Act::kToVoid, Act::kThrow,   Act::kReturnInt,
      Act::kReturnVoid, Act::kFire,   Act::kErrback, Act::kPause,
      Act::kUnpause,    Act::kCancel, Act::kAdd};
  static const std::vector<Act> errback = {
      Act::kRecover, Act::kPropagate, Act::kThrow,   Act::kReturnInt, Act::kFire,
      Act::kErrback, Act::kPause,     Act::kUnpause, Act::kCancel,    Act::kAdd};
  static const std::vector<Act> both = {
      Act::kMap,        Act::kToVoid,    Act::kThrow,  Act::kReturnInt,
      Act::kReturnVoid, Act::kPropagate, Act::kFire,   Act::kErrback,
      Act::kPause,      Act::kUnpause,   Act::kCancel, Act::kAdd};
  static const std::vector<Act> plainCallback = {Act::kMap, Act::kToVoid, Act::kThrow};
  static const std::vector<Act> plainErrback = {Act::kRecover, Act::kPropagate,
                                                Act::kThrow};
  static const std::vector<Act> plainBoth = {Act::kMap, Act::kToVoid, Act::kThrow,
                                             Act::kPropagate};
  switch (role) {
    case Role::kCallback:
      return plain ? plainCallback : callback;
    case Role::kErrback:
      return plain ? plainErrback : errback;
    default:
      return plain ? plainBoth : both;
  }
}

int decodeStep(FuzzInput& in, int pool, Program& program, bool plain);

Action decodeAction(FuzzInput& in, Role role, int pool, Program& program, bool plain) {
  const std::vector<Act>& kinds = kindsFor(role, plain);
  Action a;
  a.kind = kinds[in.below(kinds.size())];
  a.target = static_cast<int>(in.below(static_cast<std::size_t>(pool)));
  a.param = in.byte();
  if (a.kind == Act::kAdd) a.step = decodeStep(in, pool, program, true);
  return a;
}

int decodeStep(FuzzInput& in, int pool, Program& program, bool plain) {
  StepSpec step;
  step.kind = static_cast<StepKind>(in.below(4));
  switch (step.kind) {
    case StepKind::kCallback:
    case StepKind::kCallbacks:
      step.first = decodeAction(in, Role::kCallback, pool, program, plain);
      break;
    case StepKind::kErrback:
      step.first = decodeAction(in, Role::kErrback, pool, program, plain);
      break;
    case StepKind::kBoth:
      step.first = decodeAction(in, Role::kBoth, pool, program, plain);
      break;
  }
  if (step.kind == StepKind::kCallbacks) {
    step.second = decodeAction(in, Role::kErrback, pool, program, plain);
  }
  program.steps.push_back(step);
  return static_cast<int>(program.steps.size()) - 1;
}

const char* name(Act a) {
  switch (a) {
    case Act::kMap:
      return "map";
    case Act::kToVoid:
      return "toVoid";
    case Act::kThrow:
      return "throw";
    case Act::kReturnInt:
      return "returnInt";
    case Act::kReturnVoid:
      return "returnVoid";
    case Act::kRecover:
      return "recover";
    case Act::kPropagate:
      return "propagate";
    case Act::kFire:
      return "fire";
    case Act::kErrback:
      return "errback";
    case Act::kPause:
      return "pause";
    case Act::kUnpause:
      return "unpause";
    case Act::kCancel:
      return "cancel";
    case Act::kAdd:
      return "add";
  }
  return "?";
}

std::string describe(const Action& a) {
  std::string s = name(a.kind);
  if (a.kind == Act::kReturnInt || a.kind == Act::kReturnVoid || isEffect(a.kind)) {
    s += " d" + std::to_string(a.target);
  }
  s += "(" + std::to_string(a.param) + ")";
  if (a.kind == Act::kAdd) s += " s" + std::to_string(a.step);
  return s;
}

}  // namespace

std::string describe(const Program& program) {
  static const char* const kStepKinds[] = {"addCallback", "addErrback", "addBoth",
                                           "addCallbacks"};
  static const char* const kCancellers[] = {"none", "callback", "errback", "throw",
                                            "nothing"};
  std::string s;
  for (std::size_t i = 0; i < program.steps.size(); ++i) {
    const StepSpec& step = program.steps[i];
    s += "  s" + std::to_string(i) + ": " + kStepKinds[static_cast<int>(step.kind)] +
         " " + describe(step.first);
    if (step.kind == StepKind::kCallbacks) s += ", " + describe(step.second);
    s += "\n";
  }
  for (const Operation& op : program.ops) {
    std::string d = "d" + std::to_string(op.target);
    std::string p = "(" + std::to_string(op.param) + ")";
    switch (op.op) {
      case Op::kCreate:
        s += "  create " + d + " canceller " +
             kCancellers[static_cast<int>(op.canceller)] + p;
        break;
      case Op::kAdd:
        s += "  add s" + std::to_string(op.step) + " to " + d;
        break;
      case Op::kFire:
        s += "  callback " + d + p;
        break;
      case Op::kErrback:
        s += "  errback " + d + p;
        break;
      case Op::kPause:
        s += "  pause " + d;
        break;
      case Op::kUnpause:
        s += "  unpause " + d;
        break;
      case Op::kCancel:
        s += "  cancel " + d;
        break;
      case Op::kChain:
        s += "  " + d + ".chainDeferred(d" + std::to_string(op.other) + ")";
        break;
      case Op::kDeepLadder:
        s += "  ladder of " + std::to_string(op.param) + " links";
        break;
    }
    s += "\n";
  }
  return s;
}

Program decodeProgram(FuzzInput& in, int maxLadder) {
  Program program;
  int pool = 0;
  bool deepLadder = false;  // only one long ladder per program: it is slow
  while (!in.empty() && static_cast<int>(program.ops.size()) < kMaxOperations) {
    Operation op;
    std::size_t code = pool == 0 ? 0 : in.below(12);
    switch (code) {
      case 0:
        if (pool < kMaxDeferreds) {
          op.op = Op::kCreate;
          op.target = pool++;
          op.canceller = static_cast<Canceller>(in.below(5));
          op.param = in.byte();
          program.ops.push_back(op);
          continue;
        }
        [[fallthrough]];
      case 1:
      case 2:
      case 3:
      case 10:
        op.op = Op::kAdd;
        break;
      case 4:
        op.op = Op::kFire;
        break;
      case 5:
        op.op = Op::kErrback;
        break;
      case 6:
        op.op = Op::kPause;
        break;
      case 7:
        op.op = Op::kUnpause;
        break;
      case 8:
        op.op = Op::kCancel;
        break;
      case 9:
        op.op = Op::kChain;
        break;
      default:
        op.op = Op::kDeepLadder;
        break;
    }
    op.target = static_cast<int>(in.below(static_cast<std::size_t>(pool)));
    op.other = static_cast<int>(in.below(static_cast<std::size_t>(pool)));
    op.param = in.byte();
    if (op.op == Op::kAdd) op.step = decodeStep(in, pool, program, false);
    if (op.op == Op::kDeepLadder) {
      op.param = 1 + in.u16() % (deepLadder ? std::min(maxLadder, 64) : maxLadder);
      deepLadder = true;
    }
    program.ops.push_back(op);
  }
  return program;
}

}  // namespace torsion::fuzz
