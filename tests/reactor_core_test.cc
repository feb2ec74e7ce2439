// Reactor lifecycle and system events on every backend
// (AllBackends/ReactorCoreTest.*/<backend>). Ported from Twisted's
// src/twisted/internet/test/test_core.py (SystemEventTestsBuilder) and
// src/twisted/test/test_internet.py (SystemEventTests), citing each test.
#include <csignal>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/reactor.h"
#include "deferred/deferred.h"
#include "gtest/gtest.h"
#include "tests/reactor_suites.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;
using Events = std::vector<std::string>;

// Mirrors test_core.py test_stopWhenNotStarted.
TEST_P(ReactorCoreTest, StopWhenNotStarted) {
  EXPECT_THROW(reactor().stop(), ReactorNotRunning);
}

// Mirrors test_core.py test_stopWhenAlreadyStopped.
TEST_P(ReactorCoreTest, StopWhenAlreadyStopped) {
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_THROW(reactor().stop(), ReactorNotRunning);
}

// Twisted R4: a second stop() in the same run raises.
TEST_P(ReactorCoreTest, SecondStopInSameRunRaises) {
  bool threw = false;
  reactor().callWhenRunning([&] {
    reactor().stop();
    try {
      reactor().stop();
    } catch (const ReactorNotRunning&) {
      threw = true;
    }
  });
  runReactor();
  EXPECT_TRUE(threw);
}

// Mirrors test_core.py test_callWhenRunningOrder.
TEST_P(ReactorCoreTest, CallWhenRunningOrder) {
  Events events;
  reactor().callWhenRunning([&] { events.push_back("first"); });
  reactor().callWhenRunning([&] { events.push_back("second"); });
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(events, (Events{"first", "second"}));
}

// Twisted R8: callWhenRunning while running calls at once and returns no id;
// before running it returns a removable trigger id.
TEST_P(ReactorCoreTest, CallWhenRunningWhileRunningIsImmediate) {
  bool ran = false;
  std::optional<TriggerId> removable =
      reactor().callWhenRunning([&] { ADD_FAILURE() << "removed but ran"; });
  ASSERT_TRUE(removable.has_value());
  reactor().removeSystemEventTrigger(*removable);
  reactor().callWhenRunning([&] {
    std::optional<TriggerId> id = reactor().callWhenRunning([&] { ran = true; });
    EXPECT_FALSE(id.has_value());
    EXPECT_TRUE(ran);
    reactor().stop();
  });
  runReactor();
  EXPECT_TRUE(ran);
}

// Mirrors test_core.py test_runningForStartupEvents (and Twisted R1 for
// shutdown): running() per phase.
TEST_P(ReactorCoreTest, RunningForStartupEvents) {
  std::vector<std::pair<std::string, bool>> seen;
  for (Phase phase : {Phase::kBefore, Phase::kDuring, Phase::kAfter}) {
    std::string name = std::string(phaseName(phase));
    reactor().addSystemEventTrigger(phase, "startup", [&, name] {
      seen.emplace_back(name + " startup", reactor().running());
    });
    reactor().addSystemEventTrigger(phase, "shutdown", [&, name] {
      seen.emplace_back(name + " shutdown", reactor().running());
    });
  }
  EXPECT_FALSE(reactor().running());
  reactor().callWhenRunning([&] {
    reactor().stop();
    seen.emplace_back("stop returned", reactor().running());
  });
  runReactor();
  EXPECT_FALSE(reactor().running());
  std::vector<std::pair<std::string, bool>> expected = {
      {"before startup", false}, {"during startup", true},  {"after startup", true},
      {"stop returned", true},   {"before shutdown", true}, {"during shutdown", false},
      {"after shutdown", false}};
  EXPECT_EQ(seen, expected);
}

// Mirrors test_core.py test_stopShutDownEvents: run() returns after every
// shutdown phase ran, in order.
TEST_P(ReactorCoreTest, StopShutDownEvents) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kBefore, "shutdown",
                                  [&] { events.push_back("before"); });
  reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                  [&] { events.push_back("during"); });
  reactor().addSystemEventTrigger(Phase::kAfter, "shutdown",
                                  [&] { events.push_back("after"); });
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(events, (Events{"before", "during", "after"}));
}

// Mirrors test_core.py test_shutdownFiresTriggersAsynchronously.
TEST_P(ReactorCoreTest, ShutdownFiresTriggersAsynchronously) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kBefore, "shutdown",
                                  [&] { events.push_back("before shutdown"); });
  reactor().callWhenRunning([&] {
    reactor().stop();
    events.push_back("stopped");
  });
  runReactor();
  EXPECT_EQ(events, (Events{"stopped", "before shutdown"}));
}

// Twisted R6 (verified: `before`, `timed call after stop`, `during`): a
// "before shutdown" trigger that holds the event keeps the reactor running
// (timers included) until it lets go.
TEST_P(ReactorCoreTest, BeforeShutdownHoldKeepsReactorRunning) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kBefore, "shutdown", [&](EventHold hold) {
    events.push_back("before");
    reactor().callLater(0.02s,
                        [&, h = std::make_shared<EventHold>(std::move(hold))]() mutable {
                          events.push_back("timed call after stop");
                          h->release();
                        });
  });
  reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                  [&] { events.push_back("during"); });
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(events, (Events{"before", "timed call after stop", "during"}));
}

// Mirrors test_internet.py SystemEventTests.test_beforeReturnsDeferred and
// Twisted R6 through a Deferred: "during shutdown" waits until the Deferred
// a "before shutdown" trigger returned has fired.
TEST_P(ReactorCoreTest, BeforeShutdownReturnsDeferred) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kBefore, "shutdown", [&] {
    events.push_back("before");
    Deferred<int> d;
    reactor().callLater(0.02s, [&, d]() mutable {
      events.push_back("timed call after stop");
      d.callback(1);
    });
    return d;
  });
  reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                  [&] { events.push_back("during"); });
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(events, (Events{"before", "timed call after stop", "during"}));
}

// Mirrors test_internet.py SystemEventTests.test_multipleBeforeReturnDeferred
// and Twisted SE3: a failed Deferred also counts as fired.
TEST_P(ReactorCoreTest, MultipleBeforeReturnDeferred) {
  Events events;
  Deferred<void> first, second;
  reactor().addSystemEventTrigger(Phase::kBefore, "test", [first] { return first; });
  reactor().addSystemEventTrigger(Phase::kBefore, "test", [second] { return second; });
  reactor().addSystemEventTrigger(Phase::kDuring, "test",
                                  [&] { events.push_back("during"); });
  reactor().fireSystemEvent("test");
  EXPECT_TRUE(events.empty());
  first.callback();
  EXPECT_TRUE(events.empty());
  second.errback(std::runtime_error("before failed"));
  EXPECT_EQ(events, (Events{"during"}));
  second.addErrback([](const Failure&) {});  // handled: nothing unhandled to report
}

// Mirrors test_core.py test_multipleRun.
TEST_P(ReactorCoreTest, MultipleRun) {
  bool threw = false;
  reactor().callWhenRunning([&] {
    try {
      reactor().run(false);
    } catch (const ReactorAlreadyRunning&) {
      threw = true;
    }
    reactor().stop();
  });
  runReactor();
  EXPECT_TRUE(threw);
}

// Mirrors test_core.py test_runWithAsynchronousBeforeStartupTrigger: a held
// "before startup" lets the loop run (running() still false) until released.
TEST_P(ReactorCoreTest, RunWithAsynchronousBeforeStartupTrigger) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kBefore, "startup", [&](EventHold hold) {
    events.push_back("before startup");
    reactor().callLater(0s, [&, h = std::make_shared<EventHold>(std::move(hold))] {
      events.push_back(std::string("timed call, running=") +
                       (reactor().running() ? "true" : "false"));
      h->release();
    });
  });
  reactor().callWhenRunning([&] {
    events.push_back("running");
    reactor().stop();
  });
  runReactor();
  EXPECT_EQ(events, (Events{"before startup", "timed call, running=false", "running"}));
}

// Mirrors test_core.py test_iterate: iterate(delay) returns, even with a
// timer far in the future, and runs due calls.
TEST_P(ReactorCoreTest, Iterate) {
  DelayedCall far = reactor().callLater(10s, [] {});
  int ran = 0;
  reactor().callLater(0s, [&] { ++ran; });
  reactor().iterate(Seconds(0.01));
  EXPECT_EQ(ran, 1);
  far.cancel();
}

// iterate() from inside the loop would re-enter it.
TEST_P(ReactorCoreTest, IterateInsideLoopRaises) {
  bool threw = false;
  reactor().callLater(0s, [&] {
    try {
      reactor().iterate();
    } catch (const ReactorAlreadyRunning&) {
      threw = true;
    }
  });
  reactor().iterate();
  EXPECT_TRUE(threw);
}

// Mirrors test_core.py test_crash: crash ends run() without shutdown
// triggers.
TEST_P(ReactorCoreTest, Crash) {
  bool shutdownRan = false;
  TriggerId id = reactor().addSystemEventTrigger(Phase::kBefore, "shutdown",
                                                 [&] { shutdownRan = true; });
  reactor().callWhenRunning([&] { reactor().crash(); });
  runReactor();
  EXPECT_FALSE(shutdownRan);
  EXPECT_FALSE(reactor().running());
  reactor().removeSystemEventTrigger(id);
}

// Mirrors test_core.py test_runAfterCrash.
TEST_P(ReactorCoreTest, RunAfterCrash) {
  int runs = 0;
  reactor().callWhenRunning([&] {
    ++runs;
    reactor().crash();
  });
  runReactor();
  reactor().callWhenRunning([&] {
    ++runs;
    reactor().stop();
  });
  runReactor();
  EXPECT_EQ(runs, 2);
}

// Mirrors test_core.py test_runAfterStop, inverted on purpose: torsion's
// reactor is restartable (Twisted raises ReactorNotRestartable). Each run
// fires only the triggers added since; shutdown triggers run again.
TEST_P(ReactorCoreTest, RunAfterStop) {
  Events events;
  for (int run = 1; run <= 3; ++run) {
    std::string n = std::to_string(run);
    reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                    [&, n] { events.push_back("shutdown " + n); });
    reactor().callWhenRunning([&, n] {
      events.push_back("running " + n);
      reactor().stop();
    });
    runReactor();
  }
  EXPECT_EQ(events, (Events{"running 1", "shutdown 1", "running 2", "shutdown 2",
                            "running 3", "shutdown 3"}));
}

// Mirrors test_core.py test_shutdownDisconnectsCleanly and
// test_internet.py test_connectionLostOnShutdown: see
// ReactorFDSetTest.ConnectionLostOnShutdown for the descriptor half; here a
// trigger that throws is logged and the others still run.
TEST_P(ReactorCoreTest, ShutdownTriggerExceptionIsLogged) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                  [] { throw std::runtime_error("trigger failed"); });
  reactor().addSystemEventTrigger(Phase::kAfter, "shutdown",
                                  [&] { events.push_back("after"); });
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(events, (Events{"after"}));
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

// Mirrors test_internet.py SystemEventTests.test_beforePhase /
// test_duringPhase / test_afterPhase / test_beforePreceedsDuring /
// test_duringPreceedsAfter, through the reactor's API.
TEST_P(ReactorCoreTest, FireCustomSystemEvent) {
  Events events;
  reactor().addSystemEventTrigger(Phase::kAfter, "test",
                                  [&] { events.push_back("after"); });
  reactor().addSystemEventTrigger(Phase::kDuring, "test",
                                  [&] { events.push_back("during"); });
  reactor().addSystemEventTrigger(Phase::kBefore, "test",
                                  [&] { events.push_back("before"); });
  EXPECT_TRUE(events.empty());
  reactor().fireSystemEvent("test");
  EXPECT_EQ(events, (Events{"before", "during", "after"}));
}

// Mirrors test_internet.py SystemEventTests.test_removeSystemEventTrigger.
TEST_P(ReactorCoreTest, RemoveSystemEventTrigger) {
  Events events;
  TriggerId removed = reactor().addSystemEventTrigger(
      Phase::kDuring, "test", [&] { events.push_back("removed"); });
  reactor().addSystemEventTrigger(Phase::kDuring, "test",
                                  [&] { events.push_back("kept"); });
  reactor().removeSystemEventTrigger(removed);
  EXPECT_THROW(reactor().removeSystemEventTrigger(removed), std::invalid_argument);
  reactor().fireSystemEvent("test");
  EXPECT_EQ(events, (Events{"kept"}));
}

// SIGINT and SIGTERM stop the reactor gracefully when run() installs its
// handlers (Twisted R14; test_core.py test_signalHandlersInstalledDuringStartup
// checks the install timing, which "before startup" sees as not yet done).
TEST_P(ReactorCoreTest, SignalStopsReactorGracefully) {
  for (int signo : {SIGINT, SIGTERM}) {
    bool shutdownRan = false;
    reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                    [&] { shutdownRan = true; });
    reactor().callWhenRunning([&, signo] { ::raise(signo); });
    DelayedCall guard = reactor().callLater(10s, [&] {
      ADD_FAILURE() << "signal " << signo << " did not stop the reactor";
      reactor().stop();
    });
    reactor().run(/*installSignalHandlers=*/true);
    if (guard.active()) guard.cancel();
    EXPECT_TRUE(shutdownRan) << "signal " << signo;
  }
  // The "Received SIGINT, shutting down." messages are informational.
}

// Reactor::create names an unknown backend in its error.
TEST_P(ReactorCoreTest, UnknownBackendIsAClearError) {
  ReactorOptions options;
  options.backend = "no-such-backend";
  absl::StatusOr<std::unique_ptr<Reactor>> r = Reactor::create(options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("no-such-backend"), std::string::npos)
      << r.status();
  EXPECT_THROW(Reactor{options}, std::runtime_error);
}

TEST_P(ReactorCoreTest, BackendIsTheOneAskedFor) {
  EXPECT_EQ(reactor().backendName(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorCoreTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
