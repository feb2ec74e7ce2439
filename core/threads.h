// torsion/core/threads.h: running blocking work off the reactor thread and
// getting its result back as a Deferred (twisted.internet.threads).
//
//   torsion::deferToThread(reactor, [] { return slowLookup(); })
//       .addCallback([](std::string answer) { ... });   // on the reactor thread
//
// A free function, as Twisted keeps it in threads.py rather than on the
// reactor: core/reactor.h then needs no Deferred, and deferred/ sits below
// core/ (docs/decisions.md, Layering).
#ifndef TORSION_CORE_THREADS_H_
#define TORSION_CORE_THREADS_H_

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/reactor.h"
#include "deferred/deferred.h"

namespace torsion {

// Runs `f` on `reactor`'s thread pool and returns a Deferred fired on the
// reactor thread (through callFromThread) with f's result, or errbacked with
// what it threw (Twisted's threads.deferToThread). Reactor thread only.
template <typename F>
auto deferToThread(Reactor& reactor, F&& f)
    -> Deferred<std::invoke_result_t<std::decay_t<F>&>> {
  using R = std::invoke_result_t<std::decay_t<F>&>;
  Deferred<R> d;
  // A Deferred handle's count is not atomic: the pool thread only MOVES
  // the handle (never copies or destroys a live one); it is used and
  // released on the reactor thread.
  reactor.callInThread([&reactor, d, f = std::forward<F>(f)]() mutable {
    Deferred<R> target = std::move(d);
    // The error leaves the catch block before it is handed over, so the
    // reactor thread holds the last reference to the exception.
    std::exception_ptr error;
    if constexpr (std::is_void_v<R>) {
      try {
        f();
      } catch (...) {
        error = std::current_exception();
      }
      if (!error) {
        reactor.callFromThread([t = std::move(target)]() mutable { t.callback(); });
        return;
      }
    } else {
      std::optional<R> value;
      try {
        value.emplace(f());
      } catch (...) {
        error = std::current_exception();
      }
      if (!error) {
        reactor.callFromThread([t = std::move(target), v = std::move(*value)]() mutable {
          t.callback(std::move(v));
        });
        return;
      }
    }
    reactor.callFromThread([t = std::move(target), e = std::move(error)]() mutable {
      t.errback(Failure(std::move(e)));
    });
  });
  return d;
}

}  // namespace torsion

#endif  // TORSION_CORE_THREADS_H_
