// torsion/deferred/internal/traits.h: what the Deferred<T> templates ask of
// types: which callables fit a chain carrying T, and what the chain carries
// after them. Private to deferred/.
#ifndef TORSION_DEFERRED_INTERNAL_TRAITS_H_
#define TORSION_DEFERRED_INTERNAL_TRAITS_H_

#include <concepts>
#include <type_traits>

#include "deferred/failure.h"
#include "deferred/outcome.h"

namespace torsion {

template <typename T>
class Deferred;

namespace internal {

template <typename R>
struct IsDeferredT : std::false_type {};
template <typename X>
struct IsDeferredT<Deferred<X>> : std::true_type {
  using Inner = X;
};
template <typename R>
struct IsOutcomeT : std::false_type {};
template <typename X>
struct IsOutcomeT<Outcome<X>> : std::true_type {
  using Inner = X;
};

template <typename R>
inline constexpr bool kIsDeferred = IsDeferredT<std::remove_cvref_t<R>>::value;
template <typename R>
inline constexpr bool kIsOutcome = IsOutcomeT<std::remove_cvref_t<R>>::value;
template <typename R>
inline constexpr bool kIsFailure = std::is_same_v<std::remove_cvref_t<R>, Failure>;

// The type a chain carries after a step whose function returned R;
// `Same` is the type before the step (kept when R is Failure).
template <typename R, typename Same>
struct ChainTypeOf {
  using type = std::remove_cvref_t<R>;
};
template <typename X, typename Same>
struct ChainTypeOf<Deferred<X>, Same> {
  using type = X;
};
template <typename X, typename Same>
struct ChainTypeOf<Outcome<X>, Same> {
  using type = X;
};
template <typename Same>
struct ChainTypeOf<Failure, Same> {
  using type = Same;
};
template <typename R, typename Same>
using ChainType = typename ChainTypeOf<std::remove_cvref_t<R>, Same>::type;

// A callable usable as a callback on a chain carrying T.
template <typename F, typename T>
concept CallbackFor = (std::is_void_v<T> && std::invocable<F>) ||
                      (!std::is_void_v<T> && std::invocable<F, T>);

template <typename F, typename T>
struct CallbackResultT {
  using type = std::invoke_result_t<F, T>;
};
template <typename F>
struct CallbackResultT<F, void> {
  using type = std::invoke_result_t<F>;
};
template <typename F, typename T>
using CallbackResult = typename CallbackResultT<F, T>::type;

// Whether a function returning R can continue a chain that must carry T.
template <typename R, typename T>
concept FitsChain = (std::is_void_v<T> && std::is_void_v<R>) || kIsFailure<R> ||
                    (kIsDeferred<R> && std::is_same_v<ChainType<R, T>, T>) ||
                    (kIsOutcome<R> && std::is_same_v<ChainType<R, T>, T>) ||
                    (!std::is_void_v<T> && !kIsDeferred<R> && !kIsOutcome<R> &&
                     std::convertible_to<R, T>);

// An errback usable on a chain that must go on carrying T.
template <typename G, typename T>
concept ErrbackFor =
    std::invocable<G, Failure> && FitsChain<std::invoke_result_t<G, Failure>, T>;

template <typename T>
inline constexpr bool kValidResultType = std::is_void_v<T> ||
                                         (std::is_object_v<T> && !std::is_const_v<T> &&
                                          std::is_move_constructible_v<T> &&
                                          !kIsDeferred<T> && !kIsOutcome<T> &&
                                          !kIsFailure<T>);

// What Deferred<void>::callback would take if it took anything.
struct NoValue {};

}  // namespace internal
}  // namespace torsion

#endif  // TORSION_DEFERRED_INTERNAL_TRAITS_H_
