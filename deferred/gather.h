// torsion/deferred/gather.h: gatherResults, the values of many Deferreds.
//
// Mirrors twisted.internet.defer.gatherResults (behaviours G1-G4): a
// DeferredList with fireOnOneErrback whose outcomes are unwrapped to plain
// values, in input order. The first failure fails it with
// FirstError{subFailure, index} (not the raw failure, G2).
//
//   torsion::gatherResults(std::vector{a, b}, /*consumeErrors=*/true)
//       .addCallback([](std::vector<int> values) { ... })
//       .addErrback([](torsion::Failure f) -> void {
//         const torsion::FirstError* e = f.value<torsion::FirstError>();
//         ...  // e->index, e->subFailure
//       });
//   // Different types: a tuple of values.
//   torsion::gatherResults(pageD, countD)           // Deferred<tuple<string,int>>
//   torsion::gatherResults(/*consumeErrors=*/true, pageD, countD);
//
// consumeErrors (twisted#5061, synapse#3139): without it every failed input
// keeps its Failure and reports it as unhandled when it is destroyed, even
// the one the FirstError already carries (G3, as Twisted logs them); with
// it no input's Failure is reported (see deferred_list.h for what the input
// carries afterwards). Prefer consumeErrors=true.
//
// void inputs: the vector form over Deferred<void> yields Deferred<void>;
// in the variadic form a void input gives std::monostate.
//
// Thread-safety: none (like Deferred).
#ifndef TORSION_DEFERRED_GATHER_H_
#define TORSION_DEFERRED_GATHER_H_

#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/deferred_list.h"
#include "deferred/first_error.h"

namespace torsion {

namespace internal {
template <typename T>
using GatheredValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <typename T>
GatheredValue<T> unwrapOutcome(Outcome<T>&& o) {
  if constexpr (std::is_void_v<T>) {
    return std::monostate();
  } else {
    return std::move(o).value();
  }
}
}  // namespace internal

// The values of `ds` in input order once all succeed (empty: at once,
// with none); FirstError{failure, index} at the first failure. cancel()
// cancels every input (G4). Errors on bad handles as DeferredList.
template <typename T>
auto gatherResults(std::vector<Deferred<T>> ds, bool consumeErrors = false) {
  auto list = DeferredList(std::move(ds),
                           {.fireOnOneErrback = true, .consumeErrors = consumeErrors});
  if constexpr (std::is_void_v<T>) {
    return list.addCallback([](std::vector<Outcome<void>>) {});
  } else {
    return list.addCallback([](std::vector<Outcome<T>> outcomes) {
      std::vector<T> values;
      values.reserve(outcomes.size());
      for (auto& o : outcomes) values.push_back(std::move(o).value());
      return values;
    });
  }
}

// Variadic form: a tuple of the values (std::monostate for a void input).
template <typename... Ts>
auto gatherResults(bool consumeErrors, Deferred<Ts>... ds)
    -> Deferred<std::tuple<internal::GatheredValue<Ts>...>> {
  return DeferredList(std::tuple<Deferred<Ts>...>(std::move(ds)...),
                      {.fireOnOneErrback = true, .consumeErrors = consumeErrors})
      .addCallback([](std::tuple<Outcome<Ts>...> outcomes) {
        return std::apply(
            [](auto&... o) {
              return std::tuple<internal::GatheredValue<Ts>...>(
                  internal::unwrapOutcome(std::move(o))...);
            },
            outcomes);
      });
}
template <typename T0, typename... Ts>
auto gatherResults(Deferred<T0> d0, Deferred<Ts>... ds) {
  return gatherResults(false, std::move(d0), std::move(ds)...);
}

}  // namespace torsion

#endif  // TORSION_DEFERRED_GATHER_H_
