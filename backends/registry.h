// torsion/backends/registry.h: which backends exist, and how one is chosen.
//
// Each backend's library registers it from a static initialiser that
// backend_library() generates from the backend's row in
// backends/backend_order.bzl (the one place preferences are written); the
// library is `alwayslink`, so linking a backend in is all it takes to offer
// it. //backends:all links the rows of the platform being built.
//
// Choice, in order: an explicit name (ReactorOptions::backend), else the
// environment variable TORSION_BACKEND, else the first available backend in
// preference order (epoll, io_uring, poll, select on Linux) that is not
// by-name-only (glib). An explicit or
// environment name that is unknown or unavailable is an error whose message
// lists the available backends; skipping an unavailable backend during the
// automatic choice is logged with its reason.
#ifndef TORSION_BACKENDS_REGISTRY_H_
#define TORSION_BACKENDS_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"

namespace torsion {

struct BackendRegistration {
  std::string_view name;
  // Lower runs first in the automatic choice.
  int preference = 100;
  // Returns OK when the backend can be created on this machine, or a status
  // saying why not (ENOSYS from io_uring_setup, say). Must be cheap.
  absl::Status (*probe)() = nullptr;
  absl::StatusOr<std::unique_ptr<Backend>> (*create)() = nullptr;
  // False: only created by name (a GUI toolkit's loop, such as "glib"),
  // never by the automatic choice.
  bool automatic = true;
};

// Adds a backend. Called from a static initializer in the backend's .cc.
// Returns true so that it can initialise a namespace-scope bool.
bool registerBackend(const BackendRegistration& registration);

// Every registered backend, in preference order.
std::vector<std::string> registeredBackends();

// The registered backends whose probe succeeds, in preference order.
std::vector<std::string> availableBackends();

// Creates the named backend; an empty name means "choose": the environment
// variable TORSION_BACKEND if set, else the first available. Errors list
// the available backends.
absl::StatusOr<std::unique_ptr<Backend>> createBackend(std::string_view name = {});

}  // namespace torsion

#endif  // TORSION_BACKENDS_REGISTRY_H_
