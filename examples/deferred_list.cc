// Waiting for several Deferreds at once: DeferredList reports every
// outcome, gatherResults gives the values or the first failure. Three
// replicas are asked for their version; each answer is simulated with
// deferLater (in a real program it would be a network request), and north
// is unreachable. The Twisted original:
//
//   def askReplica(reactor, name, delay, answer):
//       def reply():
//           if answer is None:
//               raise Unreachable(f"{name} is unreachable")
//           return answer
//       return task.deferLater(reactor, delay, reply)
//
//   @defer.inlineCallbacks
//   def main(reactor):
//       lookups = [askReplica(reactor, *r) for r in REPLICAS]
//       for success, result in (yield DeferredList(lookups, consumeErrors=True)):
//           ...
//       try:
//           versions = yield gatherResults(lookups, consumeErrors=True)
//       except FirstError as e:
//           print(e.index, e.subFailure.getErrorMessage())
//
//   task.react(main)
#include "deferred/deferred_list.h"

#include <chrono>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "deferred/deferred.h"
#include "deferred/first_error.h"
#include "deferred/gather.h"
#include "task/defer_later.h"
#include "task/react.h"

namespace {

using namespace std::chrono_literals;

class Unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Replica {
  const char* name;
  torsion::Seconds delay;  // when it answers: distinct, so the order is fixed
  bool reachable;
};

// Listed in a different order from the one they answer in (west, north,
// east), to show that the results come back in input order.
constexpr Replica kReplicas[] = {
    {"east", 30ms, true},
    {"west", 10ms, true},
    {"north", 20ms, false},
};

torsion::Deferred<std::string> askReplica(torsion::Reactor& reactor, const Replica& r) {
  return torsion::task::deferLater(reactor, r.delay, [r]() -> std::string {
    if (!r.reachable) {
      std::printf("  %s: no route to host\n", r.name);
      // Throwing fails the Deferred deferLater returned.
      throw Unreachable(std::string(r.name) + " is unreachable");
    }
    std::printf("  %s: version 7\n", r.name);
    return "version 7";
  });
}

std::vector<torsion::Deferred<std::string>> askAll(torsion::Reactor& reactor,
                                                   std::span<const Replica> replicas) {
  std::vector<torsion::Deferred<std::string>> lookups;
  for (const Replica& r : replicas) lookups.push_back(askReplica(reactor, r));
  return lookups;
}

// A coroutine (it returns a Deferred and uses co_await). Its frame
// outlives the call, so whatever it takes by reference must too: the
// reactor does.
torsion::Deferred<void> run(torsion::Reactor& reactor) {
  // DeferredList waits for every input and never fails: each input's
  // outcome, value or Failure, is Twisted's (success, result) pair.
  // consumeErrors stops north's failure from also being reported as an
  // "Unhandled error in Deferred": the list has handled it.
  std::printf("DeferredList: asking east, west and north\n");
  std::vector<torsion::Outcome<std::string>> outcomes =
      co_await torsion::DeferredList(askAll(reactor, kReplicas), {.consumeErrors = true});
  std::printf("DeferredList fired, in input order:\n");
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].hasValue()) {
      std::printf("  %s: (success, %s)\n", kReplicas[i].name,
                  outcomes[i].value().c_str());
    } else {
      std::printf("  %s: (failure, %s)\n", kReplicas[i].name,
                  outcomes[i].failure().getErrorMessage().c_str());
    }
  }

  // gatherResults gives just the values, in input order, when all succeed.
  std::printf("gatherResults: asking east and west\n");
  std::vector<std::string> versions = co_await torsion::gatherResults(
      askAll(reactor, std::span(kReplicas).first(2)), /*consumeErrors=*/true);
  std::printf("gatherResults fired: %s, %s\n", versions[0].c_str(), versions[1].c_str());

  // ...and fails with FirstError at the first failure, without waiting for
  // the rest. FirstError carries the failed input's index and its Failure.
  std::printf("gatherResults: asking east, west and north\n");
  std::vector<torsion::Deferred<std::string>> lookups = askAll(reactor, kReplicas);
  try {
    versions = co_await torsion::gatherResults(lookups, /*consumeErrors=*/true);
  } catch (const torsion::FirstError& e) {
    std::printf("gatherResults failed: lookup #%zu failed: %s\n", e.index,
                e.subFailure.getErrorMessage().c_str());
    // The lookups still running are not stopped by the failure: cancel
    // them, as nobody wants their answers now. Their CancelledError is
    // consumed like any other failure (consumeErrors).
    for (auto& lookup : lookups) {
      if (!lookup.called()) lookup.cancel();
    }
  }
  std::printf("done\n");
}

}  // namespace

int main() {
  // react runs the reactor until run()'s Deferred fires, then stops it;
  // the exit status is 0 unless that Deferred failed.
  return torsion::task::react([](torsion::Reactor& reactor) { return run(reactor); });
}
