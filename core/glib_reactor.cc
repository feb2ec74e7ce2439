#include "core/glib_reactor.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "backends/glib_backend.h"
#include "base/log.h"

namespace torsion {

absl::StatusOr<std::unique_ptr<Reactor>> createGlibReactor(GMainContext* context,
                                                           ReactorOptions options) {
  if (!options.backend.empty() && options.backend != "glib") {
    return absl::InvalidArgumentError("createGlibReactor: options.backend is '" +
                                      options.backend + "'; only 'glib' (or empty) fits");
  }
  if (options.threadPoolSize == 0) {
    return absl::InvalidArgumentError(
        "ReactorOptions::threadPoolSize must be at least 1");
  }
  options.backend = "glib";
  absl::StatusOr<std::unique_ptr<GlibBackend>> backend = GlibBackend::create(context);
  if (!backend.ok()) return backend.status();
  GlibBackend& glib = **backend;
  auto reactor = std::make_unique<Reactor>(*std::move(backend), std::move(options));
  // The backend lives inside the reactor, so these references never dangle.
  Reactor& r = *reactor;
  glib.setLoopHost({
      .timeout = [&r]() -> std::optional<std::chrono::nanoseconds> {
        const std::optional<Seconds> t = r.timeout();
        if (!t) return std::nullopt;
        return std::chrono::ceil<std::chrono::nanoseconds>(*t);
      },
      .step =
          [&r] {
            // Called from GLib's C dispatch: nothing may propagate through it.
            // iterate() logs what user code throws; only misuse is left
            // (a GLib loop run from inside a reactor callback on another
            // context's behalf).
            try {
              r.iterate();
            } catch (...) {
              log::err("reactor", "GLib main loop step failed", std::current_exception());
            }
          },
  });
  return reactor;
}

}  // namespace torsion
