// torsion/task/internal/wait_for.h: what LoopingCall and Cooperator wait on.
//
// Twisted's LoopingCall and Cooperator accept any result from user code and
// wait only when it is a Deferred. This turns a C++ result into "wait for
// this Deferred<void>" or "nothing to wait for": a Deferred<X> (its value is
// consumed, as Twisted's own callbacks consume it), an engaged
// std::optional<Deferred<X>>, or anything else (ignored).
// Private to task/; not a public API.
#ifndef TORSION_TASK_INTERNAL_WAIT_FOR_H_
#define TORSION_TASK_INTERNAL_WAIT_FOR_H_

#include <optional>
#include <type_traits>
#include <utility>

#include "deferred/deferred.h"

namespace torsion::internal {

template <typename R>
inline constexpr bool kIsOptionalDeferred = false;
template <typename X>
inline constexpr bool kIsOptionalDeferred<std::optional<Deferred<X>>> = true;

template <typename R>
std::optional<Deferred<void>> waitFor(R&& r) {
  using D = std::remove_cvref_t<R>;
  if constexpr (kIsDeferred<D>) {
    using X = typename D::value_type;
    if constexpr (std::is_void_v<X>) {
      return Deferred<void>(std::forward<R>(r));
    } else {
      D d(std::forward<R>(r));
      return d.addCallback([](X) {});
    }
  } else if constexpr (kIsOptionalDeferred<D>) {
    if (!r.has_value()) return std::nullopt;
    return waitFor(*std::forward<R>(r));
  } else {
    return std::nullopt;
  }
}

}  // namespace torsion::internal

#endif  // TORSION_TASK_INTERNAL_WAIT_FOR_H_
