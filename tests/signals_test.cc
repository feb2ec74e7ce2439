// User signal watches on every backend (AllBackends/SignalsTest.*/<backend>):
// core/signals.h's watchSignal delivers a POSIX signal on the reactor
// thread, side by side with Reactor::run's SIGINT/SIGTERM handling.
#include "core/signals.h"

#include <signal.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "tests/reactor_test_base.h"

using namespace std::chrono_literals;

namespace torsion::testing {
namespace {

class SignalsTest : public ReactorTest {};

struct sigaction currentAction(int signo) {
  struct sigaction sa = {};
  ::sigaction(signo, nullptr, &sa);
  return sa;
}

TEST_P(SignalsTest, HandlerRunsOnTheReactorThread) {
  std::vector<int> seen;
  std::thread::id ranOn;
  auto watch = watchSignal(reactor(), SIGUSR1, [&](int signo) {
    seen.push_back(signo);
    ranOn = std::this_thread::get_id();
  });
  ASSERT_TRUE(watch.ok()) << watch.status();
  // Sent from another thread: the handler may run there, the call must not.
  std::thread([] { ::kill(::getpid(), SIGUSR1); }).join();
  ASSERT_TRUE(iterateUntil([&] { return !seen.empty(); }));
  EXPECT_EQ(seen, std::vector<int>{SIGUSR1});
  EXPECT_EQ(ranOn, std::this_thread::get_id());
  ::raise(SIGUSR1);
  ASSERT_TRUE(iterateUntil([&] { return seen.size() == 2; }));
  watch->stop();
  EXPECT_FALSE(watch->active());
}

TEST_P(SignalsTest, TwoWatchesBothHearAndTheLastRestoresTheDisposition) {
  const struct sigaction before = currentAction(SIGHUP);
  int a = 0;
  int b = 0;
  auto first = watchSignal(reactor(), SIGHUP, [&](int) { ++a; });
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = watchSignal(reactor(), SIGHUP, [&](int) { ++b; });
  ASSERT_TRUE(second.ok()) << second.status();
  ::raise(SIGHUP);
  ASSERT_TRUE(iterateUntil([&] { return a == 1 && b == 1; }));
  first->stop();
  EXPECT_NE(currentAction(SIGHUP).sa_handler, before.sa_handler);
  ::raise(SIGHUP);
  ASSERT_TRUE(iterateUntil([&] { return b == 2; }));
  EXPECT_EQ(a, 1);
  second->stop();
  EXPECT_EQ(currentAction(SIGHUP).sa_handler, before.sa_handler);
}

TEST_P(SignalsTest, ExceptionIsLoggedAndTheWatchGoesOn) {
  int calls = 0;
  auto watch = watchSignal(reactor(), SIGUSR2, [&](int) {
    ++calls;
    throw std::runtime_error("boom");
  });
  ASSERT_TRUE(watch.ok()) << watch.status();
  ::raise(SIGUSR2);
  ASSERT_TRUE(iterateUntil([&] { return calls == 1; }));
  ::raise(SIGUSR2);
  ASSERT_TRUE(iterateUntil([&] { return calls == 2; }));
  EXPECT_EQ(log().flushErrors().size(), 2u);
}

TEST_P(SignalsTest, UncatchableSignalsAreRefused) {
  for (int signo : {SIGKILL, SIGSTOP, 0, -1, 100000}) {
    auto watch = watchSignal(reactor(), signo, [](int) {});
    ASSERT_FALSE(watch.ok()) << signo;
    EXPECT_EQ(watch.status().code(), absl::StatusCode::kInvalidArgument) << signo;
    EXPECT_NE(watch.status().message().find("cannot be caught"), std::string::npos);
  }
}

// A watch of SIGTERM hears it while run()'s handlers stop the reactor; the
// watch survives the shutdown (which disconnects every reader) and works in
// the next run. The stop comes first: the first pass takes the stop before
// polling, so the watch reads its byte in the second run, with any later
// delivery possibly in the same read.
TEST_P(SignalsTest, WatchOfSigtermCoexistsWithTheStopHandlers) {
  const struct sigaction before = currentAction(SIGTERM);
  int heard = 0;
  auto watch = watchSignal(reactor(), SIGTERM, [&](int) {
    ++heard;
    if (reactor().running()) reactor().stop();
  });
  ASSERT_TRUE(watch.ok()) << watch.status();
  DelayedCall guard = reactor().callLater(10s, [&] { reactor().crash(); });
  reactor().callWhenRunning([] { ::raise(SIGTERM); });
  reactor().run(/*installSignalHandlers=*/true);
  ASSERT_TRUE(guard.active()) << "SIGTERM did not stop the reactor";
  guard.cancel();
  // Only the watch holds SIGTERM now: raising it does not end the process,
  // and the watch's callback stops the second run.
  reactor().callWhenRunning([] { ::raise(SIGTERM); });
  runReactor();
  EXPECT_GE(heard, 1);
  watch->stop();
  EXPECT_EQ(currentAction(SIGTERM).sa_handler, before.sa_handler);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, SignalsTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
