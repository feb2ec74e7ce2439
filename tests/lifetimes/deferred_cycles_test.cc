// Deferred reference cycles (docs/deferred-lifetimes.md).
//
// A Deferred<T> handle owns its chain; a chain owns the steps added to it
// until they run (and its canceller until it fires). So a step that holds
// a handle to its own chain is a cycle. Twisted leaves such cycles to
// Python's garbage collector; C++ has none, so the cycle lives until the
// chain fires and runs (and so releases) the step.
//
// Each "Leaks..." test builds a cycle, drops every handle the caller had,
// shows that the chain is still alive (a Tracker captured by the step was
// not destroyed), then breaks the cycle the documented way so that the test
// itself frees everything. Each "...Frees..." test shows a pattern that
// needs no such care. Under --config=asan LeakSanitizer checks at exit that
// nothing was left behind.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "base/log.h"
#include "deferred/deferred.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

// Sets *destroyed when the last copy of its shared_ptr goes: captured by a
// step, it tells whether the step (and so its chain) was freed. `rescue`
// lets a test reach a chain it no longer has a handle to, from inside the
// cycle, to break it.
struct Tracker {
  explicit Tracker(bool* destroyed) : destroyed(destroyed) {}
  ~Tracker() { *destroyed = true; }
  bool* destroyed;
  std::optional<Deferred<int>> rescue;
};

// Takes the rescue handle out of the cycle (the caller then owns it).
Deferred<int> rescued(Tracker* t) {
  Deferred<int> d = *t->rescue;
  t->rescue.reset();
  return d;
}

TEST(DeferredCycles, LeaksSelfCapturingCallbackWhileUnfired) {
  bool destroyed = false;
  Tracker* tracker = nullptr;
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    tracker = t.get();
    Deferred<int> d;
    // The callback holds `d`: chain -> step -> handle -> chain.
    d.addCallback([d, t](int v) mutable { return v; });
    t->rescue = d;
  }
  // Every handle the caller had is gone, the chain is not.
  EXPECT_FALSE(destroyed);

  // Firing runs the step, which releases what it captured (D22).
  rescued(tracker).callback(1);
  EXPECT_TRUE(destroyed);
}

TEST(DeferredCycles, FreesSelfCapturingCallbackOnceFired) {
  bool destroyed = false;
  Deferred<int> d;
  d.addCallback(
      [d, t = std::make_shared<Tracker>(&destroyed)](int v) mutable { return v; });
  d.callback(1);
  EXPECT_TRUE(destroyed);  // released as soon as it ran, while `d` lives on
}

TEST(DeferredCycles, FreesUnfiredSelfCapturingCallbackOnCancel) {
  bool destroyed = false;
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    Deferred<int> d;
    Deferred<int> tail = d.addCallback([d, t](int v) mutable { return v; });
    // The consumer of the result trapped the CancelledError.
    tail.addErrback([](Failure f) {
      f.trap<CancelledError>();
      return 0;
    });
    d.cancel();  // fires it: the steps run and are released
  }
  EXPECT_TRUE(destroyed);
}

TEST(DeferredCycles, FreesCallbackThatUsesItsArgumentInsteadOfTheHandle) {
  bool destroyed = false;
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    Deferred<int> d;
    // Nothing of its own chain captured: the result comes as the argument,
    // and further steps are added from outside through the returned handle.
    d.addCallback([t](int v) { return v + 1; }).addCallback([](int v) { return v; });
  }
  // Unfired and dropped: the chain and its steps were freed at once.
  EXPECT_TRUE(destroyed);
}

TEST(DeferredCycles, LeaksChainPausedForever) {
  bool destroyed = false;
  Tracker* tracker = nullptr;
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    tracker = t.get();
    Deferred<int> d;
    d.pause();
    d.addCallback([d, t](int v) mutable { return v; });
    d.callback(1);  // fired, but paused: the step does not run
    t->rescue = d;
  }
  EXPECT_FALSE(destroyed);

  // cancel() cannot help (the Deferred has fired); unpausing runs the step.
  Deferred<int> d = rescued(tracker);
  d.cancel();
  EXPECT_FALSE(destroyed);
  d.unpause();
  EXPECT_TRUE(destroyed);
}

TEST(DeferredCycles, FreesPausedChainWhenEveryPauseIsUndoneOnEveryPath) {
  bool destroyed = false;
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    Deferred<int> d;
    d.callback(1);
    try {
      d.pause();
      absl::Cleanup unpause = [&d] { d.unpause(); };  // undone however we leave
      d.addCallback([d, t](int v) mutable { return v; });
      throw std::runtime_error("work failed while paused");
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_TRUE(destroyed);
}

TEST(DeferredCycles, LeaksTwoUnfiredDeferredsChainedToEachOther) {
  bool destroyed = false;
  Tracker* tracker = nullptr;
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    tracker = t.get();
    Deferred<int> a;
    Deferred<int> b;
    // a's step holds b, b's step holds a.
    a.chainDeferred(b);
    b.chainDeferred(a).addCallback([t] {});
    t->rescue = a;
  }
  EXPECT_FALSE(destroyed);

  // Firing either runs the steps: a fires b, b's callback(a) is refused
  // (AlreadyCalledError, trapped below) and everything is released.
  log::LogCapture capture;  // b ends holding that AlreadyCalledError
  rescued(tracker).callback(1);
  EXPECT_TRUE(destroyed);
  EXPECT_EQ(capture.errors().size(), 1u);
}

// A ring of Deferreds waiting on each other would never fire and never be
// freed; the callback that would close it fails its chain instead (D13h),
// so once the handles go everything is released.
TEST(DeferredCycles, FreesDeferredsThatWouldHaveWaitedInARing) {
  bool destroyed = false;
  log::LogCapture capture;  // the refused ring ends as an unhandled Failure
  {
    auto t = std::make_shared<Tracker>(&destroyed);
    Deferred<void> a;
    Deferred<void> b;
    Deferred<void> aNext = a.addCallback([&b] { return b; });
    Deferred<void> bNext = b.addCallback([aNext] { return aNext; });
    b.callback();               // b waits on a
    bNext.addCallback([t] {});  // queued behind the wait: lives as long as b
    a.callback();               // a's callback returns b: refused, and b goes on
    EXPECT_FALSE(a.isWaiting());
    EXPECT_FALSE(b.isWaiting());
  }
  EXPECT_TRUE(destroyed);
  ASSERT_EQ(capture.errors().size(), 1u);
  EXPECT_NE(capture.errors()[0].message.find("waits on the Deferred"), std::string::npos);
}

}  // namespace
}  // namespace torsion
