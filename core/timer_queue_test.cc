// Unit tests of TimerQueue and DelayedCall against a hand-driven time source.
// The reactor-level timer behaviour is covered by the conformance suite in
// tests/; these pin down the queue's own rules.
#include "core/timer_queue.h"

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/reactor_time.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace torsion::internal {
namespace {

using namespace std::chrono_literals;
using Mode = TimerQueue::NewCalls;

class FakeTime : public ReactorTime {
 public:
  FakeTime() : queue_(*this) {}
  double seconds() const override { return now_; }
  using ReactorTime::callLater;
  DelayedCall callLater(Seconds delay, absl::AnyInvocable<void()> f) override {
    return queue_.schedule(now_ + std::max(delay.count(), 0.0), std::move(f));
  }
  std::vector<DelayedCall> getDelayedCalls() const override { return queue_.pending(); }
  std::size_t pass(Mode mode = Mode::kNextPass) {
    return queue_.runDue(now_, mode, [this](const std::exception_ptr&) { ++errors_; });
  }
  double now_ = 0;
  int errors_ = 0;
  TimerQueue queue_;
};

TEST(TimerQueueTest, NodeFitsOneCacheLine) { EXPECT_LE(sizeof(TimerNode), 64u); }

// emplace() builds the callable in its node; if building it throws, nothing
// is scheduled and the queue goes on as before.
TEST(TimerQueueTest, EmplaceWhoseCallableThrowsSchedulesNothing) {
  struct ThrowsWhenCopied {
    ThrowsWhenCopied() = default;
    ThrowsWhenCopied(const ThrowsWhenCopied&) {
      throw std::runtime_error("copy refused");
    }
    void operator()() const {}
  };
  FakeTime t;
  int ran = 0;
  t.queue_.emplace(1.0, [&] { ++ran; });
  const ThrowsWhenCopied refuses;
  EXPECT_THROW(t.queue_.emplace(0.5, refuses), std::runtime_error);
  EXPECT_EQ(t.queue_.size(), 1u);
  t.now_ = 2;
  EXPECT_EQ(t.pass(), 1u);
  EXPECT_EQ(ran, 1);
  // The node it took went back and is reused.
  t.queue_.emplace(3.0, [&] { ++ran; });
  t.now_ = 3;
  EXPECT_EQ(t.pass(), 1u);
  EXPECT_EQ(ran, 2);
}

TEST(TimerQueueTest, RunsInDeadlineOrderAndEqualDeadlinesFifo) {
  FakeTime t;
  std::vector<int> order;
  for (int i = 0; i < 12; ++i) {
    t.callLater(1s, [&order, i] { order.push_back(i); });
  }
  t.callLater(0.5s, [&order] { order.push_back(-1); });
  t.now_ = 1;
  EXPECT_EQ(t.pass(), 13u);
  EXPECT_EQ(order, (std::vector<int>{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(TimerQueueTest, NeverRunsBeforeDeadline) {
  FakeTime t;
  bool ran = false;
  t.callLater(1s, [&] { ran = true; });
  t.now_ = 0.999999;
  EXPECT_EQ(t.pass(), 0u);
  EXPECT_FALSE(ran);
  t.now_ = 1;
  EXPECT_EQ(t.pass(), 1u);
  EXPECT_TRUE(ran);
}

// A and C due now; A schedules B, also due now, while the pass runs.
void scheduleACThenBFromA(FakeTime& t, std::vector<std::string>& order) {
  t.callLater(0s, [&] {
    order.push_back("A");
    t.callLater(0s, [&] { order.push_back("B"); });
  });
  t.callLater(0s, [&] { order.push_back("C"); });
}

TEST(TimerQueueTest, CallsScheduledDuringPassWaitForNextPass) {
  FakeTime t;
  std::vector<std::string> order;
  scheduleACThenBFromA(t, order);
  t.pass();
  EXPECT_EQ(order, (std::vector<std::string>{"A", "C"}));
  t.pass();
  EXPECT_EQ(order, (std::vector<std::string>{"A", "C", "B"}));
}

TEST(TimerQueueTest, SamePassModeRunsNewDueCalls) {
  FakeTime t;
  std::vector<std::string> order;
  scheduleACThenBFromA(t, order);
  t.pass(Mode::kSamePass);
  EXPECT_EQ(order, (std::vector<std::string>{"A", "C", "B"}));
}

TEST(TimerQueueTest, CancelRemovesAndReleasesCallable) {
  FakeTime t;
  auto token = std::make_shared<int>(1);
  DelayedCall c = t.callLater(1s, [token] {});
  EXPECT_EQ(token.use_count(), 2);
  c.cancel();
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_TRUE(t.queue_.empty());
  EXPECT_TRUE(c.cancelled());
  EXPECT_FALSE(c.active());
  EXPECT_THROW(c.cancel(), AlreadyCancelled);
  EXPECT_THROW(c.reset(1s), AlreadyCancelled);
  EXPECT_THROW(c.delay(1s), AlreadyCancelled);
}

TEST(TimerQueueTest, CancelInsideOwnCallThrowsAlreadyCalled) {
  FakeTime t;
  DelayedCall c;
  bool threw = false;
  bool activeInside = true;
  c = t.callLater(0s, [&] {
    activeInside = c.active();
    try {
      c.cancel();
    } catch (const AlreadyCalled&) {
      threw = true;
    }
  });
  t.pass();
  EXPECT_TRUE(threw);
  EXPECT_FALSE(activeInside);
  EXPECT_TRUE(c.called());
  EXPECT_THROW(c.reset(1s), AlreadyCalled);
}

TEST(TimerQueueTest, ResetIsRelativeToNowDelayToDeadline) {
  FakeTime t;
  DelayedCall c = t.callLater(2s, [] {});
  t.now_ = 1;
  c.reset(3s);
  EXPECT_EQ(c.getTime(), 4);
  c.delay(1s);
  EXPECT_EQ(c.getTime(), 5);
  c.delay(-4s);
  EXPECT_EQ(c.getTime(), 1);
  EXPECT_EQ(t.pass(), 1u);
}

TEST(TimerQueueTest, ExceptionGoesToHandlerAndPassContinues) {
  FakeTime t;
  int ran = 0;
  t.callLater(0s, [] { throw std::runtime_error("boom"); });
  t.callLater(0s, [&] { ++ran; });
  t.pass();
  EXPECT_EQ(t.errors_, 1);
  EXPECT_EQ(ran, 1);
}

TEST(TimerQueueTest, ExceptionPropagatesWithoutHandler) {
  FakeTime t;
  int ran = 0;
  t.callLater(0s, [] { throw std::runtime_error("boom"); });
  t.callLater(0s, [&] { ++ran; });
  EXPECT_THROW(t.queue_.runDue(0, Mode::kSamePass), std::runtime_error);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(t.queue_.size(), 1u);
  t.queue_.runDue(0, Mode::kSamePass);
  EXPECT_EQ(ran, 1);
}

TEST(TimerQueueTest, NaNDeadlineIsRejected) {
  FakeTime t;
  EXPECT_THROW(t.queue_.schedule(std::nan(""), [] {}), std::invalid_argument);
  DelayedCall c = t.callLater(1s, [] {});
  EXPECT_THROW(c.reset(Seconds(std::nan(""))), std::invalid_argument);
  EXPECT_TRUE(c.active());
  c.cancel();
}

TEST(TimerQueueTest, HandleOutlivesQueue) {
  DelayedCall c;
  auto token = std::make_shared<int>(1);
  {
    FakeTime t;
    c = t.callLater(1s, [token] {});
  }
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_TRUE(c.cancelled());
  EXPECT_THROW(c.cancel(), AlreadyCancelled);
  EXPECT_EQ(c.getTime(), 1);
}

// torsion-specific (no Twisted test): the node slab (TimerArena) recycles
// nodes across chunk boundaries, never keeps a callable alive, and handles
// from several chunks may outlive the queue.
TEST(TimerQueueTest, SlabRecyclesNodesWithoutKeepingCallables) {
  auto token = std::make_shared<int>(1);
  std::vector<DelayedCall> kept;
  {
    FakeTime t;
    for (int round = 0; round < 3; ++round) {
      std::vector<DelayedCall> calls;
      for (int i = 0; i < 300; ++i) calls.push_back(t.callLater(1s, [token] {}));
      EXPECT_EQ(token.use_count(), 301);
      for (int i = 0; i < 300; i += 2) calls[i].cancel();
      EXPECT_EQ(token.use_count(), 151);
      t.now_ += 1;
      EXPECT_EQ(t.pass(), 150u);
      EXPECT_EQ(token.use_count(), 1);
      kept.push_back(calls.back());
    }
    kept.push_back(t.callLater(5s, [token] {}));
  }
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_TRUE(kept[0].called());
  EXPECT_TRUE(kept.back().cancelled());
  kept.clear();  // the last handles release the arena (asan: no leak)
}

TEST(TimerQueueTest, EmptyHandleThrowsLogicError) {
  DelayedCall c;
  EXPECT_FALSE(c.active());
  EXPECT_THROW(c.cancel(), std::logic_error);
  EXPECT_THROW(c.getTime(), std::logic_error);
}

TEST(TimerQueueTest, PendingIsSortedAndExcludesCancelled) {
  FakeTime t;
  DelayedCall a = t.callLater(3s, [] {});
  DelayedCall b = t.callLater(1s, [] {});
  DelayedCall c = t.callLater(2s, [] {});
  b.cancel();
  std::vector<DelayedCall> pending = t.getDelayedCalls();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0], c);
  EXPECT_EQ(pending[1], a);
  EXPECT_TRUE(c < a);
  EXPECT_FALSE(a == c);
}

// Random schedule / cancel / reset against a sorted reference model: the
// heap must always run exactly the model's calls, in the model's order.
TEST(TimerQueueTest, RandomOperationsMatchReferenceModel) {
  FakeTime t;
  std::mt19937 rng(12345);
  struct Entry {
    DelayedCall call;
    int id;
  };
  std::vector<Entry> live;
  std::vector<int> ran;
  int nextId = 0;
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 50; ++k) {
      int op = static_cast<int>(rng() % 10);
      if (op < 6 || live.empty()) {
        int id = nextId++;
        double delay = static_cast<double>(rng() % 100) / 10.0;
        live.push_back(
            {t.callLater(Seconds(delay), [&ran, id] { ran.push_back(id); }), id});
      } else {
        std::size_t i = rng() % live.size();
        if (op < 8) {
          live[i].call.cancel();
          live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          live[i].call.reset(Seconds(static_cast<double>(rng() % 100) / 10.0));
        }
      }
    }
    t.now_ += 1.0;
    // Reference: stable sort by (deadline, rescheduling order) is what the
    // queue's pending() reports; everything due must run in that order.
    std::vector<DelayedCall> before = t.getDelayedCalls();
    std::vector<int> expected;
    for (const DelayedCall& c : before) {
      if (c.getTime() <= t.now_) {
        for (const Entry& e : live) {
          if (e.call == c) expected.push_back(e.id);
        }
      }
    }
    ran.clear();
    t.pass();
    ASSERT_EQ(ran, expected) << "round " << round;
    std::erase_if(live, [](const Entry& e) { return !e.call.active(); });
    ASSERT_EQ(t.queue_.size(), live.size());
  }
  t.queue_.clear();
}

}  // namespace
}  // namespace torsion::internal
