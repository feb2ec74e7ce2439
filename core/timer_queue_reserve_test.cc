// TimerQueue::reserve (Reactor::reserveDelayedCalls): room made ahead of
// time is used, so scheduling up to it allocates nothing. A binary of its
// own: it links the operator new counter.
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/reactor_time.h"
#include "core/timer_queue.h"
#include "gtest/gtest.h"
#include "testing/allocation_counter.h"

namespace torsion::internal {
namespace {

class StillTime : public ReactorTime {
 public:
  double seconds() const override { return 0; }
  DelayedCall callLater(Seconds, absl::AnyInvocable<void()>) override { return {}; }
  std::vector<DelayedCall> getDelayedCalls() const override { return {}; }
};

// Schedules `n` calls at deadlines n-1 ... 0 into `handles` (reserved by
// the caller); each call appends its deadline to `ran`.
void scheduleDescending(TimerQueue& queue, std::size_t n,
                        std::vector<DelayedCall>& handles, std::vector<int>& ran) {
  for (std::size_t i = 0; i < n; ++i) {
    const int deadline = static_cast<int>(n - 1 - i);
    handles.push_back(
        queue.schedule(deadline, [&ran, deadline] { ran.push_back(deadline); }));
  }
}

TEST(TimerQueueReserveTest, SchedulingUpToTheReservationAllocatesNothing) {
  StillTime time;
  TimerQueue queue(time);
  constexpr std::size_t kCalls = 5000;
  queue.reserve(kCalls);
  std::vector<DelayedCall> handles;
  handles.reserve(kCalls);
  std::vector<int> ran;
  ran.reserve(kCalls);

  const std::int64_t before = torsion::testing::allocationCount();
  scheduleDescending(queue, kCalls, handles, ran);
  EXPECT_EQ(torsion::testing::allocationCount() - before, 0);

  // The reserved nodes behave as any others: deadline order.
  EXPECT_EQ(queue.runDue(kCalls, TimerQueue::NewCalls::kNextPass), kCalls);
  ASSERT_EQ(ran.size(), kCalls);
  for (std::size_t i = 0; i < kCalls; ++i) EXPECT_EQ(ran[i], static_cast<int>(i));
}

TEST(TimerQueueReserveTest, ReservationCountsCallsAlreadyPendingAndFreedNodes) {
  StillTime time;
  TimerQueue queue(time);
  std::vector<DelayedCall> handles;
  handles.reserve(300);
  std::vector<int> ran;
  ran.reserve(300);
  scheduleDescending(queue, 100, handles, ran);
  // Cancelled, and their last handles dropped: 50 nodes go back to the
  // queue's free list.
  for (std::size_t i = 0; i < 50; ++i) handles[i].cancel();
  handles.erase(handles.begin(), handles.begin() + 50);
  queue.reserve(300);  // 50 pending: room for 250 more

  const std::int64_t before = torsion::testing::allocationCount();
  scheduleDescending(queue, 250, handles, ran);
  EXPECT_EQ(torsion::testing::allocationCount() - before, 0);
  EXPECT_EQ(queue.size(), 300u);
}

TEST(TimerQueueReserveTest, MoreThanTheQueueCanHoldIsRefusedByName) {
  StillTime time;
  TimerQueue queue(time);
  try {
    queue.reserve(std::numeric_limits<std::size_t>::max());
    FAIL() << "reserve(SIZE_MAX) did not throw";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("reserveDelayedCalls"), std::string::npos)
        << e.what();
  }
  // Nothing was reserved or broken.
  std::vector<int> ran;
  std::vector<DelayedCall> handles;
  scheduleDescending(queue, 3, handles, ran);
  EXPECT_EQ(queue.runDue(3, TimerQueue::NewCalls::kNextPass), 3u);
}

}  // namespace
}  // namespace torsion::internal
