// A by-name-only backend (BackendRegistration::automatic = false, the
// `automatic = False` column of backends/backend_order.bzl, as for glib):
// offered and created by name, never by the automatic choice, even when it
// comes first in preference order.
#include <stdlib.h>

#include <string>

#include "backends/backend.h"
#include "backends/registry.h"
#include "base/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using ::testing::HasSubstr;

// Its create() "fails" with a code of its own, so a test can tell that it
// was called.
absl::StatusOr<std::unique_ptr<Backend>> createdByName() {
  return absl::AbortedError("fake_by_name_only: create() was called");
}

[[maybe_unused]] const bool kByNameOnly = registerBackend({
    .name = "fake_by_name_only",
    .preference = 0,  // ahead of every real backend
    .probe = nullptr,
    .create = &createdByName,
    .automatic = false,
});

TEST(RegistryByNameTest, AutomaticChoiceNeverTriesIt) {
  ::unsetenv("TORSION_BACKEND");
  log::LogCapture capture;
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE((*b)->name(), "fake_by_name_only");
  for (const log::Event& e : capture.events()) {
    EXPECT_THAT(e.message, ::testing::Not(HasSubstr("fake_by_name_only")))
        << "the automatic choice considered it";
  }
}

TEST(RegistryByNameTest, ItIsOfferedAndCreatedByName) {
  const std::vector<std::string> names = availableBackends();
  EXPECT_EQ(names.front(), "fake_by_name_only");
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("fake_by_name_only");
  EXPECT_EQ(b.status().code(), absl::StatusCode::kAborted) << b.status();
  ::setenv("TORSION_BACKEND", "fake_by_name_only", 1);
  b = createBackend();
  ::unsetenv("TORSION_BACKEND");
  EXPECT_EQ(b.status().code(), absl::StatusCode::kAborted) << b.status();
}

}  // namespace
}  // namespace torsion
