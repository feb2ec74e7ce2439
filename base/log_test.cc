#include "base/log.h"

#include <stdexcept>

#include "gtest/gtest.h"

namespace torsion::log {
namespace {

TEST(LogTest, CaptureSeesErrorsInOrder) {
  LogCapture capture;
  msg("test", "hello");
  err("test", "first", std::make_exception_ptr(std::runtime_error("x")));
  err("test", "second");
  ASSERT_EQ(capture.events().size(), 3u);
  auto errors = capture.errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "first");
  EXPECT_TRUE(errors[0].failure != nullptr);
  EXPECT_EQ(errors[1].message, "second");
}

TEST(LogTest, FlushErrorsForgetsThem) {
  LogCapture capture;
  err("test", "gone");
  warn("test", "kept");
  EXPECT_EQ(capture.flushErrors().size(), 1u);
  EXPECT_TRUE(capture.errors().empty());
  EXPECT_EQ(capture.events().size(), 1u);
}

TEST(LogTest, RemovedObserverSeesNothing) {
  int seen = 0;
  ObserverId id = addObserver([&](const Event&) { ++seen; });
  msg("test", "one");
  removeObserver(id);
  LogCapture keepQuiet;
  msg("test", "two");
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace torsion::log
