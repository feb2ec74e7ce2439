// POSIX-only lifecycle cases of AllBackends/ReactorCoreTest.*/<backend>
// (sigaction, pipes): split from reactor_core_test.cc so that the portable
// part also builds for Windows. Same suite and test names as before.
#include <signal.h>
#include <unistd.h>

#include "core/reactor.h"
#include "gtest/gtest.h"
#include "tests/reactor_suites.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

// With installSignalHandlers=false the process's own disposition stays.
TEST_P(ReactorCoreTest, NoSignalHandlersWhenDisabled) {
  struct sigaction before = {};
  sigaction(SIGTERM, nullptr, &before);
  struct sigaction inside = {};
  reactor().callWhenRunning([&] {
    sigaction(SIGTERM, nullptr, &inside);
    reactor().stop();
  });
  runReactor();
  EXPECT_EQ(inside.sa_handler, before.sa_handler);
}

// The dirty-reactor check itself must be able to fail: it reports each
// kind of leftover (Twisted's trial _Janitor).
TEST_P(ReactorCoreTest, DirtyReactorIsReported) {
  EXPECT_TRUE(dirtyReactorReport(reactor()).empty());
  reactor().callLater(10s, [] {});
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  struct Reader : FileDescriptor {
    int fd;
    explicit Reader(int f) : fd(f) {}
    int fileno() const override { return fd; }
    void connectionLost(const LostReason&) override {}
  } reader(fds[0]), writer(fds[1]);
  ASSERT_TRUE(reactor().addReader(&reader).ok());
  ASSERT_TRUE(reactor().addWriter(&writer).ok());
  reactor().callInThread([] {});
  EXPECT_EQ(dirtyReactorReport(reactor()).size(), 4u);
  cleanReactor(reactor());
  EXPECT_TRUE(dirtyReactorReport(reactor()).empty());
  // The pool object stays until shutdown; a stopped pool holds no threads.
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_TRUE(dirtyReactorReport(reactor()).empty());
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace torsion::testing
