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
  GlibBackend& glib = **backend;
  auto reactor = std::make_unique<Reactor>(*std::move(backend), std::move(options));
  // The backend lives inside the reactor, so these references never dangle.
  Reactor& r = *reactor;
  glib.setLoopHost({
      .timeout = [&r] { return foreignLoopTimeout(r); },
      .step = [&r] { foreignLoopStep(r, "GLib main loop"); },
  });
  return reactor;
}

}  // namespace torsion
