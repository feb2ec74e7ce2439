// torsion/tests/reactor_test_base.h: the fixture every reactor conformance
// test uses (Twisted's ReactorBuilder, internet/test/reactormixins.py).
//
// Each test gets a fresh Reactor on the backend named by the test
// parameter, a runReactor() helper that fails (instead of hanging) when the
// reactor outlives a timeout, and a captured log. TearDown is Twisted's
// dirty-reactor check: a test FAILS if it leaves pending DelayedCalls,
// registered readers or writers, a live thread pool or unexpected logged
// errors behind (tests that expect errors take them with
// log().flushErrors()).
//
//   TEST_P(ReactorCoreTest, Stop) {
//     reactor().callWhenRunning([&] { reactor().stop(); });
//     runReactor();
//   }
//   INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorCoreTest,
//                            ::testing::ValuesIn(availableBackends()),
//                            BackendName());
#ifndef TORSION_TESTS_REACTOR_TEST_BASE_H_
#define TORSION_TESTS_REACTOR_TEST_BASE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "base/log.h"
#include "core/reactor.h"
#include "gtest/gtest.h"

namespace torsion::testing {

// Test-name suffix: the backend's name, so tests read
// AllBackends/ReactorCoreTest.Stop/epoll.
struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return info.param;
  }
};

// Twisted's dirty-reactor check (trial's _Janitor): one line per thing `r`
// still holds — pending DelayedCalls, readers, writers, a thread pool.
// Empty when clean.
std::vector<std::string> dirtyReactorReport(Reactor& r);

// Cancels every pending call, removes every descriptor (without
// connectionLost) and stops the thread pool.
void cleanReactor(Reactor& r);

// The end of a reactor test: a failure for each thing `r` still holds and
// for each error `log` caught, then cleanReactor(r).
void expectCleanThenClean(Reactor& r, log::LogCapture& log);

class ReactorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Reactor& reactor() { return *reactor_; }
  log::LogCapture& log() { return capture_; }

  // Runs the reactor (signal handlers off) until run() returns. If it is
  // still running after `timeout`, stops it and fails the test (Twisted's
  // runReactor / TestTimeoutError).
  void runReactor(Seconds timeout = Seconds(10));

  // Iterates until `done()` is true or `timeout` passed; false on timeout.
  template <typename Pred>
  bool iterateUntil(Pred done, Seconds timeout = Seconds(10)) {
    const double deadline = reactor_->seconds() + timeout.count();
    while (!done()) {
      if (reactor_->seconds() > deadline) return false;
      reactor_->iterate(Seconds(0.01));
    }
    return true;
  }

  // Replaces the reactor (a test that must build it differently).
  void rebuildReactor(ReactorOptions options);

 private:
  log::LogCapture capture_;
  std::unique_ptr<Reactor> reactor_;
};

}  // namespace torsion::testing

#endif  // TORSION_TESTS_REACTOR_TEST_BASE_H_
