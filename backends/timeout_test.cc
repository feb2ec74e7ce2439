#include "backends/timeout.h"

#include <chrono>
#include <climits>
#include <optional>

#include "gtest/gtest.h"

namespace torsion::internal {
namespace {

using std::chrono::nanoseconds;

TEST(CeilToMillisTest, RoundsUpNeverDown) {
  EXPECT_EQ(ceilToMillis(std::nullopt), -1);
  EXPECT_EQ(ceilToMillis(nanoseconds(0)), 0);
  EXPECT_EQ(ceilToMillis(nanoseconds(-1)), 0);
  EXPECT_EQ(ceilToMillis(nanoseconds(1)), 1);
  EXPECT_EQ(ceilToMillis(nanoseconds(999'999)), 1);
  EXPECT_EQ(ceilToMillis(nanoseconds(1'000'000)), 1);
  EXPECT_EQ(ceilToMillis(nanoseconds(1'000'001)), 2);
  EXPECT_EQ(ceilToMillis(std::chrono::seconds(3)), 3000);
}

TEST(CeilToMillisTest, HugeTimeoutsAreCapped) {
  EXPECT_EQ(ceilToMillis(std::chrono::hours(24 * 365)), INT_MAX);
  EXPECT_EQ(ceilToMillis(nanoseconds::max()), INT_MAX);
}

TEST(ToTimespecTest, KeepsNanoseconds) {
  timespec ts;
  EXPECT_EQ(toTimespec(std::nullopt, ts), nullptr);
  const timespec* p = toTimespec(nanoseconds(2'000'000'123), ts);
  ASSERT_EQ(p, &ts);
  EXPECT_EQ(ts.tv_sec, 2);
  EXPECT_EQ(ts.tv_nsec, 123);
  toTimespec(nanoseconds(-7), ts);
  EXPECT_EQ(ts.tv_sec, 0);
  EXPECT_EQ(ts.tv_nsec, 0);
  toTimespec(nanoseconds::max(), ts);
  EXPECT_GT(ts.tv_sec, 0);
  EXPECT_LT(ts.tv_nsec, 1'000'000'000);
}

}  // namespace
}  // namespace torsion::internal
