// POSIX-only cases of AllBackends/ReactorEmbeddingTest.*/<backend>: the
// backend's descriptor watched with poll(2), as a foreign loop watches it.
// Skipped, with the backend's reason, where there is no descriptor.
#include <poll.h>

#include <chrono>
#include <optional>
#include <thread>

#include "core/reactor.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/test_descriptor.h"
#include "tests/reactor_suites.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

bool pollsReadable(int fd, int timeoutMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeoutMs) == 1 && (p.revents & POLLIN) != 0;
}

#define SKIP_WITHOUT_BACKEND_FILENO(fd)                                    \
  absl::StatusOr<int> fd = reactor().backendFileno();                      \
  if (!fd.ok()) GTEST_SKIP() << "no pollable descriptor: " << fd.status(); \
  static_assert(true)

TEST_P(ReactorEmbeddingTest, BackendFilenoIsReadableAfterCallFromThread) {
  SKIP_WITHOUT_BACKEND_FILENO(fd);
  EXPECT_FALSE(pollsReadable(*fd, 0));
  bool ran = false;
  std::thread worker([&] { reactor().callFromThread([&] { ran = true; }); });
  EXPECT_TRUE(pollsReadable(*fd, 5000));
  worker.join();
  reactor().iterate();
  EXPECT_TRUE(ran);
  // The wake-up was consumed: a foreign loop would block again.
  EXPECT_FALSE(pollsReadable(*fd, 0));
}

TEST_P(ReactorEmbeddingTest, BackendFilenoIsReadableWhenAReaderIs) {
  SKIP_WITHOUT_BACKEND_FILENO(fd);
  SocketPair pair = SocketPair::make();
  TestDescriptor d(pair.a.get());
  d.onRead = [&] { return TestDescriptor::drain(pair.a.get()); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_FALSE(pollsReadable(*fd, 0));
  ASSERT_TRUE(writeByte(pair.b.get()));
  EXPECT_TRUE(pollsReadable(*fd, 5000));
  reactor().iterate();
  EXPECT_EQ(d.reads, 1);
  EXPECT_FALSE(pollsReadable(*fd, 0));
  reactor().removeReader(&d);
}

// A regular file is always ready (poll(2) says so), but epoll refuses to
// watch it, so its descriptor never shows it: timeout() must be zero.
TEST_P(ReactorEmbeddingTest, TimeoutIsZeroForAReadyFileTheDescriptorCannotShow) {
  SKIP_WITHOUT_BACKEND_FILENO(fd);
  OwnedFd file = makeRegularFile();
  TestDescriptor d(file.get());
  d.onRead = [] { return LostReason(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_EQ(reactor().timeout(), Seconds(0));
  reactor().iterate();
  EXPECT_GE(d.reads, 1);
  reactor().removeReader(&d);
  EXPECT_EQ(reactor().timeout(), std::nullopt);
}

}  // namespace
}  // namespace torsion::testing
