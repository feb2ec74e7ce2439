// A QCoreApplication for the whole test binary, which the qt backend needs
// (backends/qt_backend.h): linked into the *_qt conformance targets
// (tests/conformance.bzl) next to GoogleTest's main. It is a global test
// environment, so it exists from before the first test until after the
// last, on the main thread, and needs no display (QCoreApplication, not
// QGuiApplication).
#include <QtCore/QCoreApplication>
#include <memory>

#include "gtest/gtest.h"

namespace torsion::testing {
namespace {

class QtApplication : public ::testing::Environment {
 public:
  void SetUp() override { app_ = std::make_unique<QCoreApplication>(argc_, argv_); }
  void TearDown() override { app_.reset(); }

 private:
  // QCoreApplication keeps references to both for its whole life.
  int argc_ = 1;
  char name_[16] = "torsion-test";
  char* argv_[2] = {name_, nullptr};
  std::unique_ptr<QCoreApplication> app_;
};

[[maybe_unused]] ::testing::Environment* const kQtApplication =
    ::testing::AddGlobalTestEnvironment(new QtApplication);

}  // namespace
}  // namespace torsion::testing
