#include "core/glib_reactor.h"

#include <utility>

#include "backends/glib_backend.h"
#include "core/foreign_loop_steps.h"

namespace torsion {

absl::StatusOr<std::unique_ptr<Reactor>> createGlibReactor(GMainContext* context,
                                                           ReactorOptions options) {
  if (absl::Status s = useForeignLoopBackend("createGlibReactor", "glib", options);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<GlibBackend>> backend = GlibBackend::create(context);
  if (!backend.ok()) return backend.status();
  return reactorHostedBy(*std::move(backend), std::move(options), "GLib main loop");
}

}  // namespace torsion
