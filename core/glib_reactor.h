// torsion/core/glib_reactor.h: a reactor that a GLib main loop drives, the
// way Twisted's gireactor runs inside GLib's loop.
//
// The reactor sits on the "glib" backend (backends/glib_backend.h) over a
// GMainContext, and that backend hands each dispatch of its source to the
// reactor's iterate(), with the source's timeout taken from the reactor's
// timeout(). So either loop may be the program's main loop:
//
//   absl::StatusOr<std::unique_ptr<torsion::Reactor>> r = torsion::createGlibReactor();
//   GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
//   (*r)->startRunning();                               // startup triggers, thread pool
//   (*r)->callLater(1s, [&] { g_main_loop_quit(loop); });
//   g_main_loop_run(loop);                              // torsion's timers and I/O run
//   here
//
// or (*r)->run() as usual, which iterates the same context, so GLib and GTK
// sources run inside it. docs/gui.md.
//
// Thread-safety: as Reactor. Run the GLib loop on the thread that created
// the reactor.
#ifndef TORSION_CORE_GLIB_REACTOR_H_
#define TORSION_CORE_GLIB_REACTOR_H_

#include <glib.h>

#include <memory>

#include "absl/status/statusor.h"
#include "core/reactor.h"

namespace torsion {

// A reactor on the glib backend over `context` (nullptr: the calling
// thread's thread-default context, g_main_context_ref_thread_default), which
// a g_main_loop_run() on that context drives as well as run() does.
// InvalidArgument when options.backend names another backend or
// options.threadPoolSize is 0.
absl::StatusOr<std::unique_ptr<Reactor>> createGlibReactor(
    GMainContext* context = nullptr, ReactorOptions options = {});

}  // namespace torsion

#endif  // TORSION_CORE_GLIB_REACTOR_H_
