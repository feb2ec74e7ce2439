// torsion/core/foreign_loop_steps.h: what a GUI toolkit's loop asks of the
// reactor it drives (core/glib_reactor.h, core/qt_reactor.h): how long it
// may wait, and one step, which the glib and qt backends call through their
// LoopHost; and the options check both factories share.
//
//   absl::Status s = useForeignLoopBackend("createQtReactor", "qt", options);
//   if (!s.ok()) return s;
//   return reactorHostedBy(*std::move(backend), std::move(options), "Qt event loop");
//
// Thread-safety: as Reactor: the reactor's own thread only.
#ifndef TORSION_CORE_FOREIGN_LOOP_STEPS_H_
#define TORSION_CORE_FOREIGN_LOOP_STEPS_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "core/reactor.h"

namespace torsion {

// Checks what createGlibReactor and createQtReactor take, then names
// `backend` in `options`: InvalidArgument, naming `factory`, when
// options.backend names another backend or options.threadPoolSize is 0.
absl::Status useForeignLoopBackend(std::string_view factory, std::string_view backend,
                                   ReactorOptions& options);

// r.timeout() in the backends' unit, rounded up; nullopt: no limit.
std::optional<std::chrono::nanoseconds> foreignLoopTimeout(Reactor& r);

// r.iterate(), called from a C or Qt dispatch that nothing may propagate
// through: iterate() logs what user code throws, and what is left (misuse,
// such as the foreign loop run from inside a reactor callback) is logged
// here, naming `loop`.
void foreignLoopStep(Reactor& r, std::string_view loop);

// A reactor on `backend` (a GlibBackend or QtBackend) that makes itself the
// backend's loop host, so that the toolkit's loop, named `loop` in logs,
// drives it through the two calls above.
template <typename ToolkitBackend>
std::unique_ptr<Reactor> reactorHostedBy(std::unique_ptr<ToolkitBackend> backend,
                                         ReactorOptions options, std::string_view loop) {
  ToolkitBackend& toolkit = *backend;
  auto reactor = std::make_unique<Reactor>(std::move(backend), std::move(options));
  // The backend lives inside the reactor, so these references never dangle.
  Reactor& r = *reactor;
  toolkit.setLoopHost({
      .timeout = [&r] { return foreignLoopTimeout(r); },
      .step = [&r, name = std::string(loop)] { foreignLoopStep(r, name); },
  });
  return reactor;
}

}  // namespace torsion

#endif  // TORSION_CORE_FOREIGN_LOOP_STEPS_H_
