// The counter sees each operator new, including the ones containers make.
#include "testing/allocation_counter.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace torsion::testing {
namespace {

TEST(AllocationCounterTest, CountsEachOperatorNew) {
  const std::int64_t before = allocationCount();
  auto one = std::make_unique<int>(1);
  auto two = std::make_unique<long>(2);
  EXPECT_EQ(allocationCount() - before, 2);
}

TEST(AllocationCounterTest, DeleteIsNotCounted) {
  auto p = std::make_unique<int>(1);
  const std::int64_t before = allocationCount();
  p.reset();
  EXPECT_EQ(allocationCount(), before);
}

TEST(AllocationCounterTest, ContainerGrowthCounts) {
  std::vector<int> v;
  const std::int64_t before = allocationCount();
  v.reserve(100);
  EXPECT_EQ(allocationCount() - before, 1);
}

}  // namespace
}  // namespace torsion::testing
