// A reactor inside a GLib main loop (Twisted's gireactor): g_main_loop_run
// drives it, and torsion's timers, thread calls, TCP and shutdown work
// there beside GLib's own sources; and the other way round, Reactor::run()
// on the glib backend runs GLib's sources. core/glib_reactor.h,
// docs/gui.md. Each test has a GMainContext of its own.
#include <glib.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/glib_reactor.h"
#include "gtest/gtest.h"
#include "tests/foreign_loop_cases.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

class GlibMainLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    absl::StatusOr<std::unique_ptr<Reactor>> r = createGlibReactor(context_);
    ASSERT_TRUE(r.ok()) << r.status();
    reactor_ = *std::move(r);
  }

  void TearDown() override {
    if (reactor_) {
      expectCleanThenClean(*reactor_, log_);
      reactor_.reset();
    }
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }

  Reactor& reactor() { return *reactor_; }
  void quit() { g_main_loop_quit(loop_); }

  // g_main_loop_run until something calls quit(); false if `limit` passed
  // first (the test would otherwise hang).
  bool runGlibLoop(Seconds limit = Seconds(10)) {
    bool timedOut = false;
    GSource* guard = g_timeout_source_new(static_cast<guint>(limit.count() * 1000));
    struct Guard {
      GMainLoop* loop;
      bool* timedOut;
    } data{loop_, &timedOut};
    g_source_set_callback(
        guard,
        [](gpointer p) -> gboolean {
          auto* g = static_cast<Guard*>(p);
          *g->timedOut = true;
          g_main_loop_quit(g->loop);
          return G_SOURCE_REMOVE;
        },
        &data, nullptr);
    g_source_attach(guard, context_);
    g_main_loop_run(loop_);
    g_source_destroy(guard);
    g_source_unref(guard);
    return !timedOut;
  }

  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;

 private:
  log::LogCapture log_;
  std::unique_ptr<Reactor> reactor_;
};

// A GLib timeout source on the same context, counted each time it runs.
struct GlibTicker {
  explicit GlibTicker(GMainContext* context, guint intervalMs) {
    source = g_timeout_source_new(intervalMs);
    g_source_set_callback(
        source,
        [](gpointer p) -> gboolean {
          ++*static_cast<int*>(p);
          return G_SOURCE_CONTINUE;
        },
        &ticks, nullptr);
    g_source_attach(source, context);
  }
  ~GlibTicker() {
    g_source_destroy(source);
    g_source_unref(source);
  }
  GSource* source;
  int ticks = 0;
};

// Mirrors the point of Twisted's gireactor: torsion's callLater runs inside
// g_main_loop_run, in order and never early, beside GLib's own timeouts.
TEST_F(GlibMainLoopTest, CallLaterRunsInsideGMainLoopRun) {
  GlibTicker ticker(context_, 5);
  callLaterBesideToolkitTimer(
      reactor(), [&] { return runGlibLoop(); }, [&] { quit(); },
      [&] { return ticker.ticks; });
}

TEST_F(GlibMainLoopTest, CallFromThreadWakesGMainLoop) {
  callFromThreadWakesForeignLoop(
      reactor(), [&] { return runGlibLoop(Seconds(5)); }, [&] { quit(); });
}

// TCP through torsion while GLib's loop is the program's main loop.
TEST_F(GlibMainLoopTest, TcpEchoInsideGMainLoopRun) {
  tcpEchoInsideForeignLoop(
      reactor(), [&] { return runGlibLoop(); }, [&] { quit(); }, 'g');
}

// startRunning, then stop() from a timer: the shutdown triggers run inside
// GLib's loop, and the thread pool is joined.
TEST_F(GlibMainLoopTest, StartRunningAndStopInsideGMainLoopRun) {
  stopInsideForeignLoop(
      reactor(), [&] { return runGlibLoop(); }, [&] { quit(); });
}

// The other way round: Reactor::run() on the glib backend iterates the
// context, so GLib's sources run inside torsion's loop.
TEST_F(GlibMainLoopTest, ReactorRunRunsGlibSources) {
  GlibTicker ticker(context_, 5);
  reactor().callLater(0.05s, [&] { reactor().stop(); });
  reactor().run(/*installSignalHandlers=*/false);
  EXPECT_GE(ticker.ticks, 3);
}

TEST(CreateGlibReactorTest, RefusesAnotherBackendOrAnEmptyPool) {
  absl::StatusOr<std::unique_ptr<Reactor>> r =
      createGlibReactor(nullptr, {.backend = "epoll"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(r.status().message()).find("epoll"), std::string::npos);
  ReactorOptions noPool;
  noPool.threadPoolSize = 0;
  r = createGlibReactor(nullptr, noPool);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace torsion::testing
