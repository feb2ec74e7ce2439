// A reactor inside Qt's event loop (Twisted's qt5reactor):
// QCoreApplication::exec() drives it, and torsion's timers, LoopingCall,
// thread calls, TCP and shutdown work there beside Qt's own timers; and the
// other way round, Reactor::run() on the qt backend serves Qt's timers.
// core/qt_reactor.h, docs/gui.md. Headless: a QCoreApplication, which
// //testing:qt_application holds for the whole binary.
#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QCoreApplication>
#include <QtCore/QTimer>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/qt_reactor.h"
#include "gtest/gtest.h"
#include "task/looping_call.h"
#include "tests/foreign_loop_cases.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

class QtMainLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Reactor>> r = createQtReactor();
    ASSERT_TRUE(r.ok()) << r.status();
    reactor_ = *std::move(r);
  }

  void TearDown() override {
    if (!reactor_) return;
    expectCleanThenClean(*reactor_, log_);
    reactor_.reset();
  }

  Reactor& reactor() { return *reactor_; }
  static void quit() { QCoreApplication::quit(); }

  // QCoreApplication::exec() until something calls quit(); false if `limit`
  // passed first (the test would otherwise hang).
  bool runQtLoop(Seconds limit = Seconds(10)) {
    bool timedOut = false;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, [&] {
      timedOut = true;
      quit();
    });
    guard.start(static_cast<int>(limit.count() * 1000));
    QCoreApplication::exec();
    return !timedOut;
  }

 private:
  log::LogCapture log_;
  std::unique_ptr<Reactor> reactor_;
};

// A Qt timer on the same thread, counted each time it fires.
struct QtTicker {
  explicit QtTicker(int intervalMs) {
    QObject::connect(&timer, &QTimer::timeout, [this] { ++ticks; });
    timer.start(intervalMs);
  }
  QTimer timer;
  int ticks = 0;
};

// The point of qt5reactor: torsion's callLater runs inside exec(), in
// order and never early, beside Qt's own timers.
TEST_F(QtMainLoopTest, CallLaterRunsInsideExec) {
  QtTicker ticker(5);
  callLaterBesideToolkitTimer(
      reactor(), [&] { return runQtLoop(); }, [] { quit(); },
      [&] { return ticker.ticks; });
}

// A call scheduled from Qt's side (a Qt timer's slot, outside any torsion
// callback) while exec() waits with no torsion timer pending: the backend
// re-reads the reactor's timeout before Qt's next wait.
TEST_F(QtMainLoopTest, CallLaterFromAQtSlotIsServed) {
  bool ran = false;
  QTimer::singleShot(20, [&] {
    reactor().callLater(0.01s, [&] {
      ran = true;
      quit();
    });
  });
  ASSERT_TRUE(runQtLoop(Seconds(5)));
  EXPECT_TRUE(ran);
}

TEST_F(QtMainLoopTest, LoopingCallRunsInsideExec) {
  int calls = 0;
  task::LoopingCall loop(reactor(), [&] {
    if (++calls == 3) quit();
  });
  bool stopped = false;
  loop.start(0.01s).addCallback([&](task::LoopingCall*) { stopped = true; });
  ASSERT_TRUE(runQtLoop());
  EXPECT_EQ(calls, 3);
  loop.stop();
  EXPECT_TRUE(stopped);
}

TEST_F(QtMainLoopTest, CallFromThreadWakesExec) {
  callFromThreadWakesForeignLoop(
      reactor(), [&] { return runQtLoop(Seconds(5)); }, [] { quit(); });
}

// TCP through torsion while Qt's loop is the program's main loop.
TEST_F(QtMainLoopTest, TcpEchoInsideExec) {
  tcpEchoInsideForeignLoop(
      reactor(), [&] { return runQtLoop(); }, [] { quit(); }, 'q');
}

// startRunning, then stop() from a thread's call: the shutdown triggers run
// inside exec(), the thread pool is joined, and the "after" trigger quits
// Qt's loop, so the program ends through torsion's shutdown.
TEST_F(QtMainLoopTest, ReactorStopQuitsExec) {
  stopInsideForeignLoop(
      reactor(), [&] { return runQtLoop(); }, [] { quit(); });
}

// The other way round: Reactor::run() on the qt backend processes Qt's
// events, so Qt's timers fire inside torsion's loop.
TEST_F(QtMainLoopTest, ReactorRunServesQtTimers) {
  QtTicker ticker(5);
  // Qt's timer itself stops the reactor once it ticked three times: how
  // many ticks fit in a given time depends on the machine's load.
  QObject::connect(&ticker.timer, &QTimer::timeout, [&] {
    if (ticker.ticks == 3) reactor().stop();
  });
  bool timedOut = false;
  DelayedCall guard = reactor().callLater(10s, [&] {
    timedOut = true;
    reactor().stop();
  });
  reactor().run(/*installSignalHandlers=*/false);
  if (guard.active()) guard.cancel();
  EXPECT_FALSE(timedOut) << "Qt's timer ticked " << ticker.ticks << " time(s) in 10 s";
  EXPECT_GE(ticker.ticks, 3);
}

// The target's name says which of Qt's two Linux dispatchers it covers:
// make sure the environment really chose that one.
TEST(QtDispatcherTest, IsTheOneTheTargetNames) {
  const char* noGlib = std::getenv("QT_NO_GLIB");
  const std::string expected = noGlib != nullptr && *noGlib != '\0'
                                   ? "QEventDispatcherUNIX"
                                   : "QEventDispatcherGlib";
  ASSERT_NE(QAbstractEventDispatcher::instance(), nullptr);
  EXPECT_EQ(QAbstractEventDispatcher::instance()->metaObject()->className(), expected);
}

TEST(CreateQtReactorTest, RefusesAnotherBackendOrAnEmptyPool) {
  absl::StatusOr<std::unique_ptr<Reactor>> r = createQtReactor({.backend = "epoll"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(r.status().message()).find("epoll"), std::string::npos);
  ReactorOptions noPool;
  noPool.threadPoolSize = 0;
  r = createQtReactor(noPool);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace torsion::testing
