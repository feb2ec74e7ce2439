// Tests for task::react, ported from Twisted's src/twisted/test/test_task.py
// ReactTests and ReactCoroFnTests (each cites its original). Twisted runs
// them on a fake reactor driven by a Clock and checks its exact time; here
// they run on a real Reactor on every backend, with short real delays, so
// they check "at least that long" instead. Exit statuses are returned,
// not raised as SystemExit.
#include "task/react.h"

#include <stdexcept>
#include <vector>

#include "backends/registry.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "task/defer_later.h"
#include "tests/reactor_test_base.h"

namespace torsion::task {
namespace {

using namespace std::chrono_literals;

class ExpectedException : public std::runtime_error {
 public:
  ExpectedException() : std::runtime_error("ExpectedException") {}
};

class ReactTests : public torsion::testing::ReactorTest {
 protected:
  template <typename Main>
  int reactHere(Main main) {
    return react(reactor(), std::move(main), /*installSignalHandlers=*/false);
  }
  // Errors logged with an ExpectedException, flushed (Twisted's
  // flushLoggedErrors(ExpectedException)).
  int flushExpected() {
    int n = 0;
    for (const log::Event& e : log().flushErrors()) {
      try {
        if (e.failure) std::rethrow_exception(e.failure);
        ADD_FAILURE() << "unexpected logged error: " << e.message;
      } catch (const ExpectedException&) {
        ++n;
      } catch (...) {
        ADD_FAILURE() << "unexpected logged error: " << e.message;
      }
    }
    return n;
  }
};

// test_task.py ReactTests.test_runsUntilAsyncCallback.
TEST_P(ReactTests, RunsUntilAsyncCallback) {
  std::vector<bool> timePassed;
  const double start = reactor().seconds();
  int code = reactHere([&](Reactor& r) {
    Deferred<void> finished;
    r.callLater(10ms, [&] { timePassed.push_back(true); });
    r.callLater(20ms, [finished]() mutable { finished.callback(); });
    return finished;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(timePassed, (std::vector<bool>{true}));
  EXPECT_GE(reactor().seconds() - start, 0.02);
  EXPECT_FALSE(reactor().running());
}

// test_task.py ReactTests.test_runsUntilSyncCallback.
TEST_P(ReactTests, RunsUntilSyncCallback) {
  int code = reactHere([](Reactor&) { return succeed(); });
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(reactor().running());
}

// test_task.py ReactTests.test_runsUntilAsyncErrback.
TEST_P(ReactTests, RunsUntilAsyncErrback) {
  int code = reactHere([](Reactor& r) {
    Deferred<void> finished;
    r.callLater(10ms, [finished]() mutable { finished.errback(ExpectedException()); });
    return finished;
  });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(flushExpected(), 1);
}

// test_task.py ReactTests.test_runsUntilSyncErrback.
TEST_P(ReactTests, RunsUntilSyncErrback) {
  int code = reactHere([](Reactor&) { return fail(ExpectedException()); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(flushExpected(), 1);
}

// A main that throws is a failure too (Twisted's ensureDeferred would have
// raised out of react; a failed Deferred is the C++ equivalent).
TEST_P(ReactTests, MainThrows) {
  int code = reactHere([](Reactor&) -> Deferred<int> { throw ExpectedException(); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(flushExpected(), 1);
}

// test_task.py ReactTests.test_singleStopCallback: fired during shutdown
// after an external stop: no second stop, status 0.
TEST_P(ReactTests, SingleStopCallback) {
  int code = reactHere([](Reactor& r) {
    r.callLater(10ms, [&r] { r.stop(); });
    Deferred<void> finished;
    r.addSystemEventTrigger(Phase::kDuring, "shutdown",
                            [finished]() mutable { finished.callback(); });
    return finished;
  });
  EXPECT_EQ(code, 0);
}

// test_task.py ReactTests.test_singleStopErrback.
TEST_P(ReactTests, SingleStopErrback) {
  int code = reactHere([](Reactor& r) {
    r.callLater(10ms, [&r] { r.stop(); });
    Deferred<void> finished;
    r.addSystemEventTrigger(Phase::kDuring, "shutdown", [finished]() mutable {
      finished.errback(ExpectedException());
    });
    return finished;
  });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(flushExpected(), 1);
}

// test_task.py ReactTests.test_arguments, adapted: arguments are captures;
// main gets the reactor react runs.
TEST_P(ReactTests, Arguments) {
  std::vector<int> args;
  Reactor* passed = nullptr;
  int x = 1, y = 2, z = 3;
  int code = reactHere([&, x, y, z](Reactor& r) {
    passed = &r;
    args = {x, y, z};
    return succeed();
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(args, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(passed, &reactor());
}

// test_task.py ReactTests.test_exitWithDefinedCode.
TEST_P(ReactTests, ExitWithDefinedCode) {
  int code = reactHere([](Reactor&) { return fail(SystemExit(23)); });
  EXPECT_EQ(code, 23);
}

// test_task.py ReactTests.test_synchronousStop.
TEST_P(ReactTests, SynchronousStop) {
  int code = reactHere([](Reactor& r) {
    Deferred<void> d;
    r.callWhenRunning([&r, d]() mutable {
      r.stop();
      d.callback();
    });
    return d;
  });
  EXPECT_EQ(code, 0);
}

// test_task.py ReactTests.test_asynchronousStop.
TEST_P(ReactTests, AsynchronousStop) {
  int code = reactHere([](Reactor& r) {
    r.callLater(10ms, [&r] { r.stop(); });
    return Deferred<void>();
  });
  EXPECT_EQ(code, 0);
}

// Returning a value type: it is ignored, status 0.
TEST_P(ReactTests, MainReturningValue) {
  int code = reactHere([](Reactor& r) { return deferLater(r, 5ms, [] { return 7; }); });
  EXPECT_EQ(code, 0);
}

// --- ReactCoroFnTests: main is a coroutine ----------------------------------

// test_task.py ReactCoroFnTests.test_runsUntilAsyncCallback.
TEST_P(ReactTests, CoroutineRunsUntilAsyncCallback) {
  std::vector<bool> timePassed;
  const double start = reactor().seconds();
  int code = reactHere([&](Reactor& r) -> Deferred<void> {
    r.callLater(10ms, [&] { timePassed.push_back(true); });
    co_await deferLater(r, 20ms);
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(timePassed, (std::vector<bool>{true}));
  EXPECT_GE(reactor().seconds() - start, 0.02);
}

// test_task.py ReactCoroFnTests.test_runsUntilSyncCallback.
TEST_P(ReactTests, CoroutineRunsUntilSyncCallback) {
  int code = reactHere([](Reactor&) -> Deferred<void> { co_await succeed(); });
  EXPECT_EQ(code, 0);
}

// test_task.py ReactCoroFnTests.test_runsUntilAsyncErrback.
TEST_P(ReactTests, CoroutineRunsUntilAsyncErrback) {
  int code = reactHere([](Reactor& r) -> Deferred<void> {
    co_await deferLater(r, 10ms, []() -> void { throw ExpectedException(); });
  });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(flushExpected(), 1);
}

// test_task.py ReactCoroFnTests.test_runsUntilSyncErrback.
TEST_P(ReactTests, CoroutineRunsUntilSyncErrback) {
  int code =
      reactHere([](Reactor&) -> Deferred<void> { co_await fail(ExpectedException()); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(flushExpected(), 1);
}

// test_task.py ReactCoroFnTests.test_exitWithDefinedCode.
TEST_P(ReactTests, CoroutineExitWithDefinedCode) {
  int code = reactHere([](Reactor&) -> Deferred<void> { co_await fail(SystemExit(23)); });
  EXPECT_EQ(code, 23);
}

// test_task.py ReactCoroFnTests.test_synchronousStop.
TEST_P(ReactTests, CoroutineSynchronousStop) {
  int code = reactHere([](Reactor& r) -> Deferred<void> {
    Deferred<void> d;
    r.callWhenRunning([&r, d]() mutable {
      r.stop();
      d.callback();
    });
    co_await std::move(d);
  });
  EXPECT_EQ(code, 0);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactTests,
                         ::testing::ValuesIn(availableBackends()),
                         torsion::testing::BackendName());

// test_task.py ReactTests.test_defaultReactor, adapted: without a reactor
// argument react makes its own (there is no global one).
TEST(ReactDefaultReactor, DefaultReactor) {
  Reactor* passed = nullptr;
  int code = react(
      [&](Reactor& r) {
        passed = &r;
        return succeed();
      },
      false);
  EXPECT_EQ(code, 0);
  EXPECT_NE(passed, nullptr);
}

}  // namespace
}  // namespace torsion::task
