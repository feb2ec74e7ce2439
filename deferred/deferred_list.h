// torsion/deferred/deferred_list.h: DeferredList, one Deferred for many.
//
// Mirrors twisted.internet.defer.DeferredList (behaviours DL1-DL9). The
// result is per input, in input order whatever the firing order: an
// Outcome<T> is Twisted's (success, result) pair.
//
//   std::vector<torsion::Deferred<int>> ds = {a, b, c};
//   torsion::DeferredList(ds).addCallback(
//       [](std::vector<torsion::Outcome<int>> results) {
//         for (auto& r : results) if (r.hasValue()) use(r.value());
//       });
//   // Heterogeneous inputs: a tuple of outcomes.
//   torsion::DeferredList(std::tuple(page, count))      // Deferred<string>, <int>
//       .addCallback([](std::tuple<torsion::Outcome<std::string>,
//                                  torsion::Outcome<int>> r) { ... });
//   // Twisted's fireOnOneCallback=True: the first success and its index.
//   torsion::DeferredList(ds, torsion::kFireOnOneCallback);
//
// Options (Twisted's keyword arguments): fireOnOneErrback fails the list
// with FirstError{failure, index} at the first failure; consumeErrors stops
// the inputs' failures from being reported as unhandled.
//
// As in Twisted: the step added to each input passes its result on
// unchanged (DL7), so later callbacks on a successful input still get its
// value; a list fired by hand ignores what its inputs deliver afterwards
// (DL9); cancel() cancels the inputs and nothing else (DL8): the list fires
// from what they then report, and waits while one of them (a paused one, one
// whose canceller threw) has not delivered; one input may appear twice.
//
// Differences forced by static types (docs/deferred.md, "Composition"):
// * The list keeps a COPY of each result, so T must be copyable (else
//   std::invalid_argument, before any input is touched), except with
//   consumeErrors: then a move-only T's result is TAKEN, the input carries
//   void (Twisted's None) afterwards and later callbacks on it need
//   d.as<void>(); such an input may not appear twice.
// * consumeErrors on a failed input: on a Deferred<void> the Failure becomes
//   None, as in Twisted; on any other T (whose chain has no None to carry)
//   the Failure stays on the input for its later errbacks, but is never
//   reported as unhandled.
// * fireOnOneCallback changes the result type, so it is a separate overload
//   taking kFireOnOneCallback; heterogeneous lists do not offer it.
// * An input every handle of which was dropped before it fired can never
//   deliver (Twisted's list would keep it alive): cancel() counts it as
//   cancelled without a canceller (CancelledError in its slot).
//
// Lifetime: the inputs keep the list's state alive, not the other way
// round (deferred_list_inputs.h), so unfired inputs that everybody dropped
// do not leak.
//
// Thread-safety: none (like Deferred).
#ifndef TORSION_DEFERRED_DEFERRED_LIST_H_
#define TORSION_DEFERRED_DEFERRED_LIST_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/deferred_list_inputs.h"
#include "deferred/first_error.h"

namespace torsion {

// Twisted's keyword arguments of DeferredList (fireOnOneCallback is the
// kFireOnOneCallback overload).
struct DeferredListOptions {
  bool fireOnOneErrback = false;
  bool consumeErrors = false;
};

// One input's result with its position: Twisted's (result, index) from
// DeferredList(fireOnOneCallback=True) and (index, result) from race().
template <typename T>
struct IndexedResult {
  T result;
  std::size_t index;
};
template <>
struct IndexedResult<void> {
  std::size_t index;
};

// Selects the fireOnOneCallback overload of DeferredList.
struct FireOnOneCallback {};
inline constexpr FireOnOneCallback kFireOnOneCallback{};

// What DeferredList(ds, kFireOnOneCallback) yields: the first success, or,
// if every input failed, all the outcomes (DL4).
template <typename T>
using FireOnOneCallbackResult = std::variant<IndexedResult<T>, std::vector<Outcome<T>>>;

namespace internal {

template <typename T>
inline constexpr bool kCopyable = std::is_void_v<T> || std::is_copy_constructible_v<T>;

// Without consumeErrors each result is passed on AND kept, so it is
// copied: a move-only T needs consumeErrors (a run-time flag, hence a
// run-time check).
template <typename T>
void checkCopyable(const DeferredListOptions& options) {
  if (!kCopyable<T> && !options.consumeErrors) {
    throw std::invalid_argument(
        "DeferredList/gatherResults over a move-only type needs consumeErrors=true: "
        "without it each result is passed on to the input's later callbacks and "
        "also kept, which takes a copy");
  }
}

// Called as a list's state goes: if the list is unfired, every input is
// gone (their steps held the state), so cancel() would find them all gone.
// Leaves the list a canceller owning a new state, into which what was
// recorded so far is moved, so that cancelling the list still fires it.
template <typename R, typename State>
void keepCancellable(State& dying);

// Tags the constructor that copies a dying state for keepCancellable.
struct Rescue {};

// What both list states keep and do: the inputs, how many have reported,
// whether the list fired, its options and its result handle.
template <typename R>
struct ListStateBase {
  ListStateBase(std::size_t n, DeferredListOptions o) : inputs(n), options(o) {}

  InputSet inputs;
  std::size_t finished = 0;
  bool fired = false;
  DeferredListOptions options;
  // Set once created (its canceller needs this state); dropped when fired,
  // so its fate is the user's.
  Deferred<R> result = Access::adopt<R>(nullptr);

  // Twisted's `self.called`: fired by us, or by hand through the list's
  // handle (DL9: later results are then ignored).
  bool called() {
    if (!fired && result && result.called()) {
      fired = true;
      auto drop = std::move(result);
    }
    return fired;
  }

  template <typename V>
  void fire(V&& value) {
    fired = true;
    Deferred<R> d = std::move(result);
    d.callback(R(std::forward<V>(value)));
  }

  // fireOnOneErrback: input i failed first.
  void fireFirstError(Failure failure, std::size_t i) {
    fired = true;
    Deferred<R> d = std::move(result);
    d.errback(Failure(FirstError(std::move(failure), i)));
  }
};

template <typename T, typename R>
struct ListState : ListStateBase<R> {
  static constexpr bool kOnOne = !std::is_same_v<R, std::vector<Outcome<T>>>;
  ListState(std::size_t n, bool onOneCallback, DeferredListOptions o)
      : ListStateBase<R>(n, o), results(n), fireOnOneCallback(onOneCallback) {}
  ListState(Rescue, ListState& from)
      : ListStateBase<R>(from.inputs.size(), from.options),
        results(std::move(from.results)),
        fireOnOneCallback(from.fireOnOneCallback) {
    this->finished = from.finished;
  }
  ~ListState() { keepCancellable<R>(*this); }

  std::vector<std::optional<Outcome<T>>> results;
  bool fireOnOneCallback;

  std::vector<Outcome<T>> takeAll() {
    std::vector<Outcome<T>> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(std::move(*r));
    return out;
  }

  // cancel() found input i gone (every handle dropped before it fired): it
  // can never deliver, so it counts as cancelled without a canceller.
  void inputGone(std::size_t i) {
    if (!this->called() && !results[i]) record(i, Failure(CancelledError()));
  }

  void record(std::size_t i, Outcome<T> o) {
    ++this->finished;
    if (this->called()) return;  // DL9: recorded by Twisted, but nobody can see it here
    if constexpr (kOnOne) {
      if (o.hasValue() && fireOnOneCallback) {
        if constexpr (std::is_void_v<T>) {
          this->fire(IndexedResult<void>{i});
        } else {
          this->fire(IndexedResult<T>{std::move(o).value(), i});
        }
        return;
      }
    }
    if (o.isFailure() && this->options.fireOnOneErrback) {
      this->fireFirstError(std::move(o).failure(), i);
      return;
    }
    results[i].emplace(std::move(o));
    if (this->finished == results.size()) this->fire(takeAll());
  }
};

// A DeferredList's canceller (Twisted's DeferredList.cancel): cancel every
// input, and nothing else; the list fires from what they then report.
template <typename State>
auto cancelListInputs(std::weak_ptr<State> weak) {
  return [weak = std::move(weak)](auto&) {
    std::shared_ptr<State> state = weak.lock();
    if (!state || state->called()) return;
    state->inputs.cancelAll(InputSet::kNone, [&](std::size_t i) { state->inputGone(i); });
  };
}

// A new DeferredList result whose cancel() is cancelListInputs.
template <typename R, typename State>
Deferred<R> listResult(const std::shared_ptr<State>& state) {
  Deferred<R> result(cancelListInputs(std::weak_ptr<State>(state)));
  Access::state(result)->setCancellerOnly();
  return result;
}

// Whether a list over T takes its inputs' results (the input then carries
// void) rather than passing them on: only for move-only T, which cannot be
// both kept and passed on, and only with consumeErrors (checkCopyable).
template <typename T>
inline constexpr bool kTakesResults = !kCopyable<T>;

// The step a DeferredList adds to an input of copyable T (Twisted's
// _cbDeferred): hands the list a copy of the outcome and passes the result
// on unchanged (DL7), except that with consumeErrors a Failure is consumed:
// replaced by None on a Deferred<void>, and on other types left in place
// but never reported as unhandled (a T chain has no None to put there).
template <typename T, typename Record>
struct ListInputStep {
  Record record;  // void(Outcome<T>)
  bool consumeErrors;

  ChainState* operator()(ChainState& s) {
    if (s.isFailure()) {
      Failure failure = s.failure();
      if (consumeErrors) {
        if constexpr (std::is_void_v<T>) {
          s.takeFailure();
        } else {
          s.consumeFailure();
        }
      }
      record(Outcome<T>(std::move(failure)));
    } else if constexpr (std::is_void_v<T>) {
      record(Outcome<void>());
    } else {
      record(Outcome<T>(s.peekValue<T>()));
    }
    return nullptr;
  }
};

// Adds the list's step to input `d`: `record` receives its outcome.
template <typename T, typename Record>
void addListStep(Deferred<T>& d, bool consumeErrors, Record record) {
  if constexpr (kTakesResults<T>) {
    (void)d.addBoth(
        [record = std::move(record)](Outcome<T> o) mutable { record(std::move(o)); });
  } else {
    (void)Access::append<T>(d,
                            ListInputStep<T, Record>{std::move(record), consumeErrors});
  }
}

template <typename T, typename R>
Deferred<R> makeDeferredList(std::vector<Deferred<T>> ds, bool fireOnOneCallback,
                             DeferredListOptions options) {
  checkCopyable<T>(options);
  if constexpr (kTakesResults<T>) {
    std::vector<ChainState*> chains;
    chains.reserve(ds.size());
    for (const auto& d : ds) chains.push_back(Access::state(d));
    checkDistinct(std::move(chains), "DeferredList");
  }
  using State = ListState<T, R>;
  auto state = std::make_shared<State>(ds.size(), fireOnOneCallback, options);
  Deferred<R> result = listResult<R>(state);
  state->result = result;
  if (ds.empty()) {
    // DL3: an empty list fires at once, unless it waits for a success.
    if (!fireOnOneCallback) state->fire(std::vector<Outcome<T>>());
    return result;
  }
  for (std::size_t i = 0; i < ds.size(); ++i) {
    state->inputs.set(i, ds[i]);
    addListStep(ds[i], options.consumeErrors,
                [slot = InputSlot<State>(state, i)](Outcome<T> o) {
                  slot.state().record(slot.index(), std::move(o));
                });
  }
  return result;
}

template <typename... Ts>
struct TupleListState : ListStateBase<std::tuple<Outcome<Ts>...>> {
  using Result = std::tuple<Outcome<Ts>...>;
  explicit TupleListState(DeferredListOptions o)
      : ListStateBase<Result>(sizeof...(Ts), o) {}
  TupleListState(Rescue, TupleListState& from)
      : ListStateBase<Result>(sizeof...(Ts), from.options),
        results(std::move(from.results)) {
    this->finished = from.finished;
  }
  ~TupleListState() { keepCancellable<Result>(*this); }

  std::tuple<std::optional<Outcome<Ts>>...> results;

  // See ListState::inputGone.
  void inputGone(std::size_t i) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((I == i && !this->called() && !std::get<I>(results) ? record<I>(noResult<I>())
                                                           : void()),
       ...);
    }
    (std::index_sequence_for<Ts...>());
  }

  template <std::size_t I>
  static auto noResult() {
    return Outcome<std::tuple_element_t<I, std::tuple<Ts...>>>(Failure(CancelledError()));
  }

  template <std::size_t I, typename T>
  void record(Outcome<T> o) {
    ++this->finished;
    if (this->called()) return;
    if (o.isFailure() && this->options.fireOnOneErrback) {
      this->fireFirstError(std::move(o).failure(), I);
      return;
    }
    std::get<I>(results).emplace(std::move(o));
    if (this->finished == sizeof...(Ts)) {
      this->fire(
          std::apply([](auto&... r) { return Result(std::move(*r)...); }, results));
    }
  }
};

template <typename R, typename State>
void keepCancellable(State& dying) {
  if (dying.fired || !dying.result || dying.result.called()) return;
  auto rescued = std::make_shared<State>(Rescue{}, dying);
  Access::state(dying.result)->setCanceller([rescued](ChainState& s) {
    s.ref();
    rescued->result = Access::adopt<R>(&s);
    rescued->inputs.cancelAll(InputSet::kNone,
                              [&](std::size_t i) { rescued->inputGone(i); });
  });
}

template <std::size_t I, typename State, typename T>
void addTupleStep(const std::shared_ptr<State>& state, Deferred<T>& d) {
  state->inputs.set(I, d);
  addListStep(d, state->options.consumeErrors,
              [slot = InputSlot<State>(state, I)](Outcome<T> o) {
                slot.state().template record<I>(std::move(o));
              });
}

}  // namespace internal

// Twisted's DeferredList(ds, fireOnOneErrback=..., consumeErrors=...): fires
// with every input's outcome, in input order, once all have one (an empty
// list fires at once with none). With fireOnOneErrback, fails with
// FirstError{failure, index} at the first failure instead. Inputs that
// already have a result are handled before this returns (DL6). The inputs
// are copied (handles): cancelling the list cancels exactly these (DL8).
// Throws std::logic_error for an empty (moved-from) handle in `ds` and
// DeferredTypeError for a stale one, before adding anything.
template <typename T>
Deferred<std::vector<Outcome<T>>> DeferredList(std::vector<Deferred<T>> ds,
                                               DeferredListOptions options = {}) {
  for (const auto& d : ds) internal::checkInput(d);  // before adding anything
  return internal::makeDeferredList<T, std::vector<Outcome<T>>>(std::move(ds), false,
                                                                options);
}

// Twisted's DeferredList(ds, fireOnOneCallback=True, ...): fires with the
// first success and its index; if every input fails, with all the outcomes
// (DL4). An empty list never fires (DL3).
template <typename T>
Deferred<FireOnOneCallbackResult<T>> DeferredList(std::vector<Deferred<T>> ds,
                                                  FireOnOneCallback,
                                                  DeferredListOptions options = {}) {
  for (const auto& d : ds) internal::checkInput(d);
  return internal::makeDeferredList<T, FireOnOneCallbackResult<T>>(std::move(ds), true,
                                                                   options);
}

// DeferredList over inputs of different types: fires with a tuple of their
// outcomes (same options and semantics as above, without fireOnOneCallback).
template <typename... Ts>
Deferred<std::tuple<Outcome<Ts>...>> DeferredList(std::tuple<Deferred<Ts>...> ds,
                                                  DeferredListOptions options = {}) {
  using State = internal::TupleListState<Ts...>;
  std::apply([](const auto&... d) { (internal::checkInput(d), ...); }, ds);
  (internal::checkCopyable<Ts>(options), ...);
  if constexpr ((internal::kTakesResults<Ts> || ...)) {
    std::vector<internal::ChainState*> taken;
    std::apply(
        [&](const auto&... d) {
          ((internal::kTakesResults<typename std::decay_t<decltype(d)>::value_type>
                ? taken.push_back(internal::Access::state(d))
                : void()),
           ...);
        },
        ds);
    internal::checkDistinct(std::move(taken), "DeferredList");
  }
  auto state = std::make_shared<State>(options);
  auto result = internal::listResult<std::tuple<Outcome<Ts>...>>(state);
  state->result = result;
  if constexpr (sizeof...(Ts) == 0) {
    state->fired = true;
    auto drop = std::move(state->result);
    result.callback(std::tuple<>());
  } else {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (internal::addTupleStep<I>(state, std::get<I>(ds)), ...);
    }
    (std::index_sequence_for<Ts...>());
  }
  return result;
}

}  // namespace torsion

#endif  // TORSION_DEFERRED_DEFERRED_LIST_H_
