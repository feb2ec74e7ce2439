// torsion/deferred/race.h: race, the first success among Deferreds.
//
// Mirrors twisted.internet.defer.race (Twisted >= 24; behaviours RC1-RC4):
// fires with the first success and its index, after cancelling every other
// input (each exactly once; never the winner). If every input fails, fails
// with FailureGroup holding their failures in input order, cancelling
// nothing. Results that arrive after the winner (or caused by cancelling)
// are ignored, and not reported as unhandled: race takes every input's
// result, so the inputs carry void afterwards (Twisted's None).
//
//   torsion::race(std::vector{fromCache, fromNetwork})
//       .addCallback([](torsion::IndexedResult<std::string> first) {
//         use(first.index, first.result);
//       });
//
// An empty list never fires, as in Twisted. Cancelling the race cancels all
// inputs (RC4): usually FailureGroup of CancelledErrors.
//
// Thread-safety: none (like Deferred).
#ifndef TORSION_DEFERRED_RACE_H_
#define TORSION_DEFERRED_RACE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/deferred_list.h"
#include "deferred/deferred_list_inputs.h"

namespace torsion {

// Every input of a race() failed (Twisted's FailureGroup). An outcome,
// hence a std::runtime_error; what() counts them and names the first.
class FailureGroup : public std::runtime_error {
 public:
  explicit FailureGroup(std::vector<Failure> failures);
  std::vector<Failure> failures;
};

namespace internal {

template <typename T>
struct RaceState {
  explicit RaceState(std::size_t n) : inputs(n), failures(n) {}

  InputSet inputs;
  std::vector<std::optional<Failure>> failures;
  std::size_t failed = 0;
  bool fired = false;
  Deferred<IndexedResult<T>> result;

  void arrive(std::size_t i, Outcome<T> o) {
    if (fired) return;  // RC3: late or cancel-caused, ignored
    if (o.hasValue()) {
      fired = true;
      // Twisted cancels the losers first, then fires.
      inputs.cancelAll(i);
      Deferred<IndexedResult<T>> d = std::move(result);
      if constexpr (std::is_void_v<T>) {
        d.callback(IndexedResult<void>{i});
      } else {
        d.callback(IndexedResult<T>{std::move(o).value(), i});
      }
      return;
    }
    failures[i].emplace(std::move(o).failure());
    if (++failed < failures.size()) return;
    fired = true;
    std::vector<Failure> all;
    all.reserve(failures.size());
    for (auto& f : failures) all.push_back(std::move(*f));
    Deferred<IndexedResult<T>> d = std::move(result);
    d.errback(Failure(FailureGroup(std::move(all))));
  }
};

// race()'s canceller (a plain Deferred canceller, as Twisted's race uses):
// cancel every input; if that did not fire the race, ignore whatever
// arrives later (the chain then fails it with CancelledError).
template <typename State>
auto cancelInputs(std::weak_ptr<State> weak) {
  return [weak = std::move(weak)](auto&) {
    std::shared_ptr<State> state = weak.lock();
    if (!state) return;
    state->inputs.cancelAll();
    state->fired = true;
    auto drop = std::move(state->result);
  };
}

}  // namespace internal

// See the header comment. Throws std::logic_error / DeferredTypeError for
// an empty or stale handle in `ds`, before adding anything.
template <typename T>
Deferred<IndexedResult<T>> race(std::vector<Deferred<T>> ds) {
  using State = internal::RaceState<T>;
  for (const auto& d : ds) internal::checkInput(d);
  auto state = std::make_shared<State>(ds.size());
  // RC4: what the inputs then produce decides the race's result.
  Deferred<IndexedResult<T>> result(internal::cancelInputs(std::weak_ptr<State>(state)));
  state->result = result;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    state->inputs.set(i, ds[i]);
    (void)ds[i].addBoth([slot = internal::InputSlot<State>(state, i)](Outcome<T> o) {
      std::shared_ptr<State> keep = slot.share();  // cancelling others may drop slots
      keep->arrive(slot.index(), std::move(o));
    });
  }
  return result;
}

}  // namespace torsion

#endif  // TORSION_DEFERRED_RACE_H_
