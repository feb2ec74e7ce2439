// POSIX-only thread cases of AllBackends/ReactorThreadsTest.*/<backend>
// (signals interrupting poll): split from reactor_threads_test.cc so that
// the portable part also builds for Windows. Same suite and test names.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/reactor.h"
#include "gtest/gtest.h"
#include "tests/reactor_suites.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

// A signal interrupting a blocked poll (EINTR) is not an error: the loop
// goes on and the next timer still fires.
TEST_P(ReactorThreadsTest, InterruptedPollIsNotAnError) {
  struct sigaction sa = {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the poll returns EINTR
  struct sigaction old = {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  const pthread_t reactorThread = pthread_self();
  std::atomic<bool> stopKicking{false};
  std::thread kicker([&] {
    while (!stopKicking) {
      pthread_kill(reactorThread, SIGUSR1);
      std::this_thread::sleep_for(5ms);
    }
  });
  int fired = 0;
  reactor().callLater(0.2s, [&] {
    ++fired;
    reactor().stop();
  });
  runReactor();
  stopKicking = true;
  kicker.join();
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(fired, 1);
  // TearDown fails the test if the backend logged EINTR as an error.
}

}  // namespace
}  // namespace torsion::testing
