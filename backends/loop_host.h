// torsion/backends/loop_host.h: how a toolkit backend (glib, qt) reaches the
// reactor that runs on it, when the toolkit's own loop drives
// (g_main_loop_run, QCoreApplication::exec) instead of Reactor::run().
//
// The backend cannot see the reactor (backends sit below core/), so the
// reactor hands it these two calls (core/foreign_loop_steps.h does).
//
// Thread-safety: called on the loop's thread only.
#ifndef TORSION_BACKENDS_LOOP_HOST_H_
#define TORSION_BACKENDS_LOOP_HOST_H_

#include <chrono>
#include <optional>

#include "absl/functional/any_invocable.h"

namespace torsion {

struct LoopHost {
  // How long the loop may wait before step(); nullopt: no limit.
  absl::AnyInvocable<std::optional<std::chrono::nanoseconds>()> timeout;
  // One non-blocking step; its poll() reports what the loop saw.
  absl::AnyInvocable<void()> step;
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_LOOP_HOST_H_
