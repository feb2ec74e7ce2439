// The dispatcher's next-pass rule on each POSIX backend, driven through
// FdDispatcher directly: a registration made while a pass dispatches (a
// descriptor removed and added again, or a new file on a reused fd) is not
// called for an event that pass's poll reported. Backends that let the sink
// re-enter (BackendFeatures::sinkMayReenter) dispatch inside their poll, so
// this is what keeps a stale event away from the new registration there.
#include "core/fd_dispatch.h"

#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "backends/registry.h"
#include "core/file_descriptor.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/test_descriptor.h"

namespace torsion::internal {
namespace {

using testing::SocketPair;
using testing::TestDescriptor;

// A connected socket pair whose `a` end is readable.
SocketPair readablePair() {
  SocketPair pair = SocketPair::make();
  EXPECT_TRUE(testing::writeByte(pair.b.get()));
  return pair;
}

// Makes `d` read what is pending on its fd (so that the next poll does not
// report it again) and then run `then`.
void readThen(TestDescriptor& d, std::function<void()> then = {}) {
  d.onRead = [&d, then = std::move(then)]() -> LostReason {
    TestDescriptor::drain(d.fd_);
    if (then) then();
    return nullptr;
  };
}

class FdDispatchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Backend>> b = createBackend(GetParam());
    if (!b.ok()) GTEST_SKIP() << b.status();
    backend_ = *std::move(b);
    fds_ = std::make_unique<FdDispatcher>(*backend_);
  }
  void TearDown() override {
    if (fds_) fds_->removeAll();
  }
  // Polls until `done` (the backend may report the two fds in two polls).
  template <typename Pred>
  void pollUntil(Pred done) {
    for (int i = 0; i < 200 && !done(); ++i) {
      ASSERT_TRUE(fds_->pollAndDispatch(std::chrono::milliseconds(10)).ok());
    }
    ASSERT_TRUE(done());
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<FdDispatcher> fds_;
};

// Whichever of two readable descriptors runs first removes the other and
// adds it back: the other's event from this poll is stale, so it runs only
// after the next poll.
TEST_P(FdDispatchTest, ReAddedDuringDispatchWaitsForNextPoll) {
  SocketPair p1 = readablePair(), p2 = readablePair();
  TestDescriptor d1(p1.a.get()), d2(p2.a.get());
  int readdedAt = 0;  // reads by both when the re-add happened
  auto readdOther = [&](TestDescriptor& other) {
    return [&] {
      if (readdedAt != 0) return;
      readdedAt = d1.reads + d2.reads;
      fds_->removeReader(&other);
      ASSERT_TRUE(fds_->addReader(&other).ok());
    };
  };
  readThen(d1, readdOther(d2));
  readThen(d2, readdOther(d1));
  ASSERT_TRUE(fds_->addReader(&d1).ok());
  ASSERT_TRUE(fds_->addReader(&d2).ok());
  pollUntil([&] { return d1.reads + d2.reads >= 1; });
  EXPECT_EQ(d1.reads + d2.reads, 1) << "a stale event reached the re-added reader";
  pollUntil([&] { return d1.reads == 1 && d2.reads == 1; });
  EXPECT_EQ(readdedAt, 1);
}

// The first descriptor to run closes the other's fd and puts a new readable
// socket on the same number: the old file's event must not reach the new
// descriptor in this pass; the new one runs after the next poll.
TEST_P(FdDispatchTest, NewFileOnReusedFdWaitsForNextPoll) {
  SocketPair p1 = readablePair(), p2 = readablePair(), fresh = readablePair();
  TestDescriptor d1(p1.a.get()), d2(p2.a.get());
  std::unique_ptr<TestDescriptor> replacement;
  auto replaceOther = [&](TestDescriptor& other, SocketPair& otherPair) {
    return [&] {
      if (replacement) return;
      fds_->removeReader(&other);
      // dup2 closes the old file and reuses its number for the fresh one.
      const int reused = otherPair.a.get();
      ASSERT_EQ(::dup2(fresh.a.get(), reused), reused);
      replacement = std::make_unique<TestDescriptor>(reused);
      readThen(*replacement);
      ASSERT_TRUE(fds_->addReader(replacement.get()).ok());
    };
  };
  readThen(d1, replaceOther(d2, p2));
  readThen(d2, replaceOther(d1, p1));
  ASSERT_TRUE(fds_->addReader(&d1).ok());
  ASSERT_TRUE(fds_->addReader(&d2).ok());
  pollUntil([&] { return replacement != nullptr; });
  EXPECT_EQ(replacement->reads, 0) << "the old file's event reached the new descriptor";
  EXPECT_EQ(d1.reads + d2.reads, 1);
  pollUntil([&] { return replacement->reads == 1; });
  fds_->removeReader(replacement.get());
}

INSTANTIATE_TEST_SUITE_P(PosixBackends, FdDispatchTest,
                         ::testing::Values("epoll", "poll", "select", "io_uring"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace torsion::internal
