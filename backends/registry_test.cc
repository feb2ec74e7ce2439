// The registry's choice rules (registry.h): explicit name, else
// TORSION_BACKEND, else the first available; errors that list what is
// available; warnings for skipped backends. Links //backends:all plus two
// fake backends registered below.
#include "backends/registry.h"

#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "base/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using ::testing::HasSubstr;

absl::Status unavailableProbe() {
  return absl::UnavailableError("fake kernel says ENOSYS");
}

absl::StatusOr<std::unique_ptr<Backend>> neverCreated() {
  return absl::InternalError("must not be created: its probe fails");
}

absl::StatusOr<std::unique_ptr<Backend>> failingCreate() {
  return absl::ResourceExhaustedError("fake_broken: out of descriptors");
}

// Preference 1 and 2: ahead of every real backend, so the automatic
// choice has to skip both.
[[maybe_unused]] const bool kUnavailable = registerBackend({
    .name = "fake_unavailable",
    .preference = 1,
    .probe = &unavailableProbe,
    .create = &neverCreated,
});
[[maybe_unused]] const bool kBroken = registerBackend({
    .name = "fake_broken",
    .preference = 2,
    .probe = nullptr,
    .create = &failingCreate,
});

// Sets or clears TORSION_BACKEND for one test and restores it afterwards.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* value) {
    if (const char* old = ::getenv("TORSION_BACKEND")) saved_ = old, hadValue_ = true;
    if (value != nullptr) {
      ::setenv("TORSION_BACKEND", value, 1);
    } else {
      ::unsetenv("TORSION_BACKEND");
    }
  }
  ~ScopedEnv() {
    if (hadValue_) {
      ::setenv("TORSION_BACKEND", saved_.c_str(), 1);
    } else {
      ::unsetenv("TORSION_BACKEND");
    }
  }

 private:
  std::string saved_;
  bool hadValue_ = false;
};

std::vector<std::string> realBackends() {
  std::vector<std::string> names = availableBackends();
  names.erase(std::remove(names.begin(), names.end(), "fake_broken"), names.end());
  return names;
}

TEST(RegistryTest, RegisteredBackendsAreInPreferenceOrder) {
  const std::vector<std::string> names = registeredBackends();
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[0], "fake_unavailable");
  EXPECT_EQ(names[1], "fake_broken");
#if defined(__linux__)
  const std::vector<std::string> expected = {"fake_unavailable", "fake_broken", "epoll",
                                             "io_uring",         "poll",        "select"};
  EXPECT_EQ(names, expected);
#endif
}

TEST(RegistryTest, AvailableBackendsLeaveOutFailedProbes) {
  const std::vector<std::string> names = availableBackends();
  EXPECT_EQ(std::count(names.begin(), names.end(), "fake_unavailable"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "fake_broken"), 1)
      << "a probe that passes makes a backend available even if create fails later";
  EXPECT_EQ(std::count(names.begin(), names.end(), "select"), 1);
}

TEST(RegistryTest, DuplicateOrIncompleteRegistrationIsRefused) {
  EXPECT_FALSE(
      registerBackend({.name = "poll", .preference = 0, .create = &neverCreated}));
  EXPECT_FALSE(registerBackend({.name = "", .create = &neverCreated}));
  EXPECT_FALSE(registerBackend({.name = "no_create", .create = nullptr}));
  const std::vector<std::string> names = registeredBackends();
  EXPECT_EQ(std::count(names.begin(), names.end(), "poll"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "no_create"), 0);
}

TEST(RegistryTest, UnknownNameErrorListsAvailableBackends) {
  ScopedEnv env(nullptr);
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("kqueue_on_linux");
  ASSERT_EQ(b.status().code(), absl::StatusCode::kNotFound) << b.status();
  const std::string message(b.status().message());
  EXPECT_THAT(message, HasSubstr("'kqueue_on_linux'"));
  EXPECT_THAT(message, HasSubstr("not compiled in"));
  for (const std::string& name : availableBackends()) {
    EXPECT_THAT(message, HasSubstr(name));
  }
  EXPECT_THAT(message, ::testing::Not(HasSubstr("fake_unavailable")));
}

TEST(RegistryTest, UnavailableNameErrorSaysWhy) {
  ScopedEnv env(nullptr);
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("fake_unavailable");
  ASSERT_EQ(b.status().code(), absl::StatusCode::kUnavailable) << b.status();
  const std::string message(b.status().message());
  EXPECT_THAT(message, HasSubstr("'fake_unavailable'"));
  EXPECT_THAT(message, HasSubstr("fake kernel says ENOSYS"));
  EXPECT_THAT(message, HasSubstr("available backends: "));
}

TEST(RegistryTest, FailedCreateKeepsItsCodeAndNamesTheBackend) {
  ScopedEnv env(nullptr);
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("fake_broken");
  ASSERT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted) << b.status();
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("out of descriptors"));
}

TEST(RegistryTest, EveryAvailableBackendCanBeCreatedByName) {
  ScopedEnv env(nullptr);
  for (const std::string& name : realBackends()) {
    absl::StatusOr<std::unique_ptr<Backend>> b = createBackend(name);
    ASSERT_TRUE(b.ok()) << name << ": " << b.status();
    EXPECT_EQ((*b)->name(), name);
  }
}

TEST(RegistryTest, AutomaticChoiceSkipsUnavailableBackendsAndLogsWhy) {
  ScopedEnv env(nullptr);
  log::LogCapture capture;
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->name(), realBackends().front());
  std::vector<std::string> warnings;
  for (const log::Event& e : capture.events()) {
    if (e.severity == log::Severity::kWarning) warnings.push_back(e.message);
  }
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("fake_unavailable"));
  EXPECT_THAT(warnings[0], HasSubstr("fake kernel says ENOSYS"));
  EXPECT_THAT(warnings[1], HasSubstr("fake_broken"));
  EXPECT_THAT(warnings[1], HasSubstr("out of descriptors"));
}

TEST(RegistryTest, EnvironmentVariableIsRespected) {
  for (const std::string& name : realBackends()) {
    ScopedEnv env(name.c_str());
    absl::StatusOr<std::unique_ptr<Backend>> b = createBackend();
    ASSERT_TRUE(b.ok()) << name << ": " << b.status();
    EXPECT_EQ((*b)->name(), name);
  }
}

TEST(RegistryTest, EmptyEnvironmentVariableMeansAutomatic) {
  ScopedEnv env("");
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->name(), realBackends().front());
}

TEST(RegistryTest, UnknownEnvironmentValueIsAnErrorNotAFallback) {
  ScopedEnv env("nosuchbackend");
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend();
  ASSERT_EQ(b.status().code(), absl::StatusCode::kNotFound) << b.status();
  const std::string message(b.status().message());
  EXPECT_THAT(message, HasSubstr("'nosuchbackend'"));
  EXPECT_THAT(message, HasSubstr("TORSION_BACKEND"));
  EXPECT_THAT(message, HasSubstr("select"));
}

TEST(RegistryTest, ExplicitNameBeatsEnvironment) {
  ScopedEnv env("poll");
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("select");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->name(), "select");
  // Even when the environment names something that does not exist.
  ScopedEnv bogus("nosuchbackend");
  b = createBackend("poll");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->name(), "poll");
}

}  // namespace
}  // namespace torsion
