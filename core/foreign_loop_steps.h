// torsion/core/foreign_loop_steps.h: what a GUI toolkit's loop asks of the
// reactor it drives (core/glib_reactor.h, core/qt_reactor.h): how long it
// may wait, and one step; and the options check both factories share. The glib and qt backends call these through their
// LoopHost.
//
//   backend.setLoopHost({.timeout = [&r] { return foreignLoopTimeout(r); },
//                        .step = [&r] { foreignLoopStep(r, "GLib main loop"); }});
//
// Thread-safety: as Reactor: the reactor's own thread only.
#ifndef TORSION_CORE_FOREIGN_LOOP_STEPS_H_
#define TORSION_CORE_FOREIGN_LOOP_STEPS_H_

#include <chrono>
#include <optional>
#include <string_view>

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

}  // namespace torsion

#endif  // TORSION_CORE_FOREIGN_LOOP_STEPS_H_
