#include "core/qt_reactor.h"

#include <utility>

#include "backends/qt_backend.h"
#include "core/foreign_loop_steps.h"

namespace torsion {

absl::StatusOr<std::unique_ptr<Reactor>> createQtReactor(ReactorOptions options) {
  if (absl::Status s = useForeignLoopBackend("createQtReactor", "qt", options); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<QtBackend>> backend = QtBackend::createInThisThread();
  if (!backend.ok()) return backend.status();
  return reactorHostedBy(*std::move(backend), std::move(options), "Qt event loop");
}

}  // namespace torsion
