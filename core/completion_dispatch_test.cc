// The completion policy (core/completion_dispatch.h), without a backend:
// operations are delivered by hand, as a completion port would.
#include "core/completion_dispatch.h"

#include <memory>
#include <stdexcept>
#include <string>

#include "base/log.h"
#include "gtest/gtest.h"

namespace torsion::internal {
namespace {

class RecordingOwner final : public CompletionOwner {
 public:
  std::string logPrefix() const override { return "Owner(7)"; }
  void completionFailed(std::exception_ptr error) override {
    ++failures;
    lastError = error;
    if (throwWhenFailed) throw std::runtime_error("completionFailed blew up");
  }
  int failures = 0;
  std::exception_ptr lastError;
  bool throwWhenFailed = false;
};

// A port with nothing behind it: deliver() is all the test needs.
class HandPort final : public CompletionPort {
 public:
  absl::Status associate(std::uintptr_t) override { return absl::OkStatus(); }
};

std::string messageOf(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

TEST(CompletionDispatchTest, RunsTheOperationOnceWithWhatThePortReported) {
  CompletionDispatcher dispatcher;
  HandPort port;
  port.setSink(&dispatcher);
  RecordingOwner owner;
  int runs = 0;
  std::uint32_t gotError = 0, gotBytes = 0;
  port.deliver(std::make_unique<CompletionOperation>(
                   owner,
                   [&](std::uint32_t error, std::uint32_t bytes) {
                     ++runs;
                     gotError = error;
                     gotBytes = bytes;
                   }),
               995, 12);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(gotError, 995u);
  EXPECT_EQ(gotBytes, 12u);
  EXPECT_EQ(owner.failures, 0);
}

// Policy 2: the exception is logged once, naming the owner, and handed to
// the owner; nothing escapes to the caller (the reactor's loop).
TEST(CompletionDispatchTest, ThrowingOperationIsLoggedAndFailsItsOwner) {
  log::LogCapture capture;
  CompletionDispatcher dispatcher;
  HandPort port;
  port.setSink(&dispatcher);
  RecordingOwner owner;
  EXPECT_NO_THROW(port.deliver(
      std::make_unique<CompletionOperation>(
          owner,
          [](std::uint32_t, std::uint32_t) { throw std::runtime_error("read blew up"); }),
      0, 3));
  ASSERT_EQ(owner.failures, 1);
  EXPECT_EQ(messageOf(owner.lastError), "read blew up");
  std::vector<log::Event> errors = capture.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("Owner(7): unhandled error in completion"),
            std::string::npos)
      << errors[0].message;
}

// Policy 3: an owner that throws while being failed is logged too.
TEST(CompletionDispatchTest, OwnerThatThrowsWhenFailedIsLogged) {
  log::LogCapture capture;
  RecordingOwner owner;
  owner.throwWhenFailed = true;
  EXPECT_NO_THROW(runForOwner(owner, [] { throw std::runtime_error("late work"); }));
  EXPECT_EQ(owner.failures, 1);
  EXPECT_EQ(capture.errors().size(), 2u);
}

TEST(CompletionDispatchTest, WorkThatSucceedsDoesNotTouchTheOwner) {
  log::LogCapture capture;
  RecordingOwner owner;
  bool ran = false;
  runForOwner(owner, [&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_EQ(owner.failures, 0);
  EXPECT_TRUE(capture.errors().empty());
}

// Without a sink (a reactor going away) a delivered operation is freed
// unrun.
TEST(CompletionDispatchTest, PortWithoutSinkFreesTheOperationUnrun) {
  HandPort port;
  RecordingOwner owner;
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> weak = alive;
  bool ran = false;
  port.deliver(std::make_unique<CompletionOperation>(
                   owner, [&ran, keep = std::move(alive)](std::uint32_t,
                                                          std::uint32_t) { ran = true; }),
               0, 0);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace torsion::internal
