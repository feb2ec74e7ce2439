// The backend registry: a preference-ordered table filled by static
// initialisers, and the choice rules of registry.h.
#include "backends/registry.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/log.h"

namespace torsion {
namespace {

constexpr char kEnvVar[] = "TORSION_BACKEND";

struct Entry {
  std::string name;
  int preference;
  absl::Status (*probe)();
  absl::StatusOr<std::unique_ptr<Backend>> (*create)();
  bool automatic;
};

struct Registry {
  std::mutex mutex;
  std::vector<Entry> entries;  // sorted by (preference, name)
};

// A function-local static: backends register from static initialisers in
// other translation units, whose order relative to ours is unspecified.
// Never destroyed, so registering or creating during exit stays safe.
Registry& registry() {
  static Registry* const instance = new Registry;
  return *instance;
}

std::vector<Entry> snapshot() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.entries;
}

absl::Status probe(const Entry& entry) {
  return entry.probe == nullptr ? absl::OkStatus() : entry.probe();
}

absl::string_view view(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string availableList(const std::vector<Entry>& entries) {
  std::vector<std::string> names;
  for (const Entry& e : entries) {
    if (probe(e).ok()) names.push_back(e.name);
  }
  if (names.empty()) return "available backends: none (link //backends:all)";
  return absl::StrCat("available backends: ", absl::StrJoin(names, ", "));
}

// Creates `name`, requested explicitly or through the environment (`how`
// says which, for the message). Never falls back to another backend: the
// user asked for this one.
absl::StatusOr<std::unique_ptr<Backend>> createNamed(const std::vector<Entry>& entries,
                                                     std::string_view name,
                                                     std::string_view how) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const Entry& e) { return e.name == name; });
  if (it == entries.end()) {
    return absl::NotFoundError(absl::StrCat("backend '", view(name), "' ", view(how),
                                            " is not compiled in; ",
                                            availableList(entries)));
  }
  if (absl::Status s = probe(*it); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "backend '", view(name), "' ", view(how),
        " is unavailable on this machine: ", s.message(), "; ", availableList(entries)));
  }
  absl::StatusOr<std::unique_ptr<Backend>> backend = it->create();
  if (!backend.ok()) {
    return absl::Status(backend.status().code(),
                        absl::StrCat("backend '", view(name), "' ", view(how),
                                     " failed to start: ", backend.status().message(),
                                     "; ", availableList(entries)));
  }
  return backend;
}

}  // namespace

bool registerBackend(const BackendRegistration& registration) {
  if (registration.name.empty() || registration.create == nullptr) return false;
  Entry entry{std::string(registration.name), registration.preference, registration.probe,
              registration.create, registration.automatic};
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const Entry& e : r.entries) {
    if (e.name == entry.name) return false;  // first registration wins
  }
  auto before = [](const Entry& a, const Entry& b) {
    return std::tie(a.preference, a.name) < std::tie(b.preference, b.name);
  };
  r.entries.insert(std::upper_bound(r.entries.begin(), r.entries.end(), entry, before),
                   std::move(entry));
  return true;
}

std::vector<std::string> registeredBackends() {
  std::vector<std::string> names;
  for (const Entry& e : snapshot()) names.push_back(e.name);
  return names;
}

std::vector<std::string> availableBackends() {
  std::vector<std::string> names;
  for (const Entry& e : snapshot()) {
    if (probe(e).ok()) names.push_back(e.name);
  }
  return names;
}

absl::StatusOr<std::unique_ptr<Backend>> createBackend(std::string_view name) {
  // Probes run outside the lock: they make system calls, and a probe that
  // registered something would otherwise deadlock.
  const std::vector<Entry> entries = snapshot();
  if (!name.empty()) return createNamed(entries, name, "(requested by name)");
  if (const char* env = std::getenv(kEnvVar); env != nullptr && *env != '\0') {
    return createNamed(entries, env, "(from TORSION_BACKEND)");
  }
  std::vector<std::string> reasons;
  for (const Entry& e : entries) {
    if (!e.automatic) continue;  // by name only
    absl::Status status = probe(e);
    if (status.ok()) {
      absl::StatusOr<std::unique_ptr<Backend>> backend = e.create();
      if (backend.ok()) return backend;
      status = backend.status();
    }
    std::string reason = absl::StrCat(e.name, ": ", status.message());
    log::warn("backends", absl::StrCat("skipping backend '", e.name,
                                       "' in the automatic choice: ", status.message()));
    reasons.push_back(std::move(reason));
  }
  if (entries.empty()) {
    return absl::NotFoundError(
        "no backend is compiled in; depend on //core:reactor (every backend of "
        "this platform), or link a backend such as //backends:epoll next to "
        "//core:reactor_without_backends");
  }
  return absl::UnavailableError(
      absl::StrCat("no backend could be started: ", absl::StrJoin(reasons, "; ")));
}

}  // namespace torsion
