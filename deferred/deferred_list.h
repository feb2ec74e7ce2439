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
// Differences forced by static types (docs/deferred.md, "Composition"):
// * Without consumeErrors the step added to each input passes its result on
//   unchanged (DL7), so the list keeps a COPY: T must be copyable (else
//   std::invalid_argument, before any input is touched). With
//   consumeErrors the list TAKES every result, value or Failure: the input
//   then carries void (Twisted's None), so later callbacks on it need
//   d.as<void>(). Move-only T works with consumeErrors.
// * fireOnOneCallback changes the result type, so it is a separate overload
//   taking kFireOnOneCallback; heterogeneous lists do not offer it.
// * cancel() cancels every input still alive (DL8); if that leaves the list
//   unfired (a paused input, an input already destroyed), the list fails
//   with CancelledError and later input results are ignored. Twisted would
//   stay unfired there.
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

template <typename T, typename R>
struct ListState {
  static constexpr bool kOnOne = !std::is_same_v<R, std::vector<Outcome<T>>>;
  ListState(std::size_t n, bool onOneCallback, DeferredListOptions o)
      : inputs(n), results(n), fireOnOneCallback(onOneCallback), options(o) {}

  InputSet inputs;
  std::vector<std::optional<Outcome<T>>> results;
  std::size_t finished = 0;
  bool fired = false;
  bool fireOnOneCallback;
  DeferredListOptions options;
  Deferred<R> result;  // dropped when fired, so its fate is the user's

  std::vector<Outcome<T>> takeAll() {
    std::vector<Outcome<T>> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(std::move(*r));
    return out;
  }

  void record(std::size_t i, Outcome<T> o) {
    ++finished;
    if (fired) return;  // DL9: recorded by Twisted, but nobody can see it here
    if constexpr (kOnOne) {
      if (o.hasValue() && fireOnOneCallback) {
        if constexpr (std::is_void_v<T>) {
          fire(IndexedResult<void>{i});
        } else {
          fire(IndexedResult<T>{std::move(o).value(), i});
        }
        return;
      }
    }
    if (o.isFailure() && options.fireOnOneErrback) {
      fired = true;
      Deferred<R> d = std::move(result);
      d.errback(Failure(FirstError(std::move(o).failure(), i)));
      return;
    }
    results[i].emplace(std::move(o));
    if (finished == results.size()) fire(takeAll());
  }

  template <typename V>
  void fire(V&& value) {
    fired = true;
    Deferred<R> d = std::move(result);
    d.callback(R(std::forward<V>(value)));
  }
};

// The composite's canceller: cancel every input; if that did not fire the
// composite, ignore whatever arrives later (the chain then fails it with
// CancelledError).
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

template <typename T, typename R>
Deferred<R> makeDeferredList(std::vector<Deferred<T>> ds, bool fireOnOneCallback,
                             DeferredListOptions options) {
  checkCopyable<T>(options);
  using State = ListState<T, R>;
  auto state = std::make_shared<State>(ds.size(), fireOnOneCallback, options);
  Deferred<R> result(cancelInputs(std::weak_ptr<State>(state)));
  state->result = result;
  if (ds.empty()) {
    // DL3: an empty list fires at once, unless it waits for a success.
    if (!fireOnOneCallback) state->fire(std::vector<Outcome<T>>());
    return result;
  }
  for (std::size_t i = 0; i < ds.size(); ++i) {
    state->inputs.set(i, ds[i]);
    InputSlot<State> slot(state, i);
    if (options.consumeErrors) {
      (void)ds[i].addBoth([slot = std::move(slot)](Outcome<T> o) {
        slot.state().record(slot.index(), std::move(o));
      });
    } else if constexpr (kCopyable<T>) {
      ds[i] = ds[i].addBoth([slot = std::move(slot)](Outcome<T> o) -> Outcome<T> {
        slot.state().record(slot.index(), o);
        return o;
      });
    }
  }
  return result;
}

template <typename... Ts>
struct TupleListState {
  using Result = std::tuple<Outcome<Ts>...>;
  explicit TupleListState(DeferredListOptions o) : inputs(sizeof...(Ts)), options(o) {}

  InputSet inputs;
  std::tuple<std::optional<Outcome<Ts>>...> results;
  std::size_t finished = 0;
  bool fired = false;
  DeferredListOptions options;
  Deferred<Result> result;

  template <std::size_t I, typename T>
  void record(Outcome<T> o) {
    ++finished;
    if (fired) return;
    if (o.isFailure() && options.fireOnOneErrback) {
      fired = true;
      Deferred<Result> d = std::move(result);
      d.errback(Failure(FirstError(std::move(o).failure(), I)));
      return;
    }
    std::get<I>(results).emplace(std::move(o));
    if (finished == sizeof...(Ts)) {
      fired = true;
      Deferred<Result> d = std::move(result);
      d.callback(
          std::apply([](auto&... r) { return Result(std::move(*r)...); }, results));
    }
  }
};

template <std::size_t I, typename State, typename T>
void addTupleStep(const std::shared_ptr<State>& state, Deferred<T>& d) {
  state->inputs.set(I, d);
  InputSlot<State> slot(state, I);
  if (state->options.consumeErrors) {
    (void)d.addBoth([slot = std::move(slot)](Outcome<T> o) {
      slot.state().template record<I>(std::move(o));
    });
  } else if constexpr (kCopyable<T>) {
    d = d.addBoth([slot = std::move(slot)](Outcome<T> o) -> Outcome<T> {
      slot.state().template record<I>(o);
      return o;
    });
  }
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
  auto state = std::make_shared<State>(options);
  Deferred<std::tuple<Outcome<Ts>...>> result(
      internal::cancelInputs(std::weak_ptr<State>(state)));
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
