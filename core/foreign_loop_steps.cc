#include "core/foreign_loop_steps.h"

#include <exception>
#include <string>

#include "base/log.h"

namespace torsion {

absl::Status useForeignLoopBackend(std::string_view factory, std::string_view backend,
                                   ReactorOptions& options) {
  if (!options.backend.empty() && options.backend != backend) {
    return absl::InvalidArgumentError(std::string(factory) + ": options.backend is '" +
                                      options.backend + "'; only '" +
                                      std::string(backend) + "' (or empty) fits");
  }
  if (options.threadPoolSize == 0) {
    return absl::InvalidArgumentError(
        "ReactorOptions::threadPoolSize must be at least 1");
  }
  options.backend = std::string(backend);
  return absl::OkStatus();
}

std::optional<std::chrono::nanoseconds> foreignLoopTimeout(Reactor& r) {
  const std::optional<Seconds> t = r.timeout();
  if (!t) return std::nullopt;
  return std::chrono::ceil<std::chrono::nanoseconds>(*t);
}

void foreignLoopStep(Reactor& r, std::string_view loop) {
  try {
    r.iterate();
  } catch (...) {
    log::err("reactor", std::string(loop) + " step failed", std::current_exception());
  }
}

}  // namespace torsion
