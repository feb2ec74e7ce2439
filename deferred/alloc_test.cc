// Counts heap allocations: one fired Deferred with one (small) callback
// costs exactly one allocation, the chain itself. Separate binary because
// it links //testing:allocation_counter, which replaces the global operator
// new.
#include <string>
#include <vector>

#include "base/thread_block_cache.h"
#include "deferred/deferred.h"
#include "deferred/internal/chain_state.h"
#include "gtest/gtest.h"
#include "testing/allocation_counter.h"

namespace torsion {
namespace {

// Allocations of one steady-state run of `f`. It runs once first: some
// runtimes allocate on a thread's first use of thread-local state (mingw's
// emulated TLS does), which is a per-thread cost, not a per-Deferred one.
// The thread's cache of chain memory is emptied before the measured run, so
// each chain counts as the allocation it costs when the cache is cold.
long allocationsDuring(auto&& f) {
  f();
  internal::ChainBlocks::trim();
  long before = testing::allocationCount();
  f();
  return testing::allocationCount() - before;
}

// With the chain memory cache warm (the steady state of a busy thread), the
// same run allocates nothing.
long allocationsWhenWarm(auto&& f) {
  f();
  long before = testing::allocationCount();
  f();
  return testing::allocationCount() - before;
}

TEST(AllocTest, OneAllocationPerFiredDeferredWithOneCallback) {
  int sum = 0;
  long n = allocationsDuring([&] {
    Deferred<int> d;
    d.addCallback([&sum](int v) { sum += v; });
    d.callback(2);
  });
  EXPECT_EQ(sum, 4);  // the warm-up run and the measured one
  EXPECT_EQ(n, 1);
}

TEST(AllocTest, SucceedThenCallbackIsOneAllocation) {
  int got = 0;
  long n = allocationsDuring([&] { succeed(5).addCallback([&got](int v) { got = v; }); });
  EXPECT_EQ(got, 5);
  EXPECT_EQ(n, 1);
}

TEST(AllocTest, TypeChangingStepsDoNotAllocate) {
  double got = 0;
  long n = allocationsDuring([&] {
    Deferred<int> d;
    d.callback(3);
    d.addCallback([](int v) { return v * 0.5; }).addCallback([&got](double v) {
      got = v;
    });
  });
  EXPECT_EQ(got, 1.5);
  EXPECT_EQ(n, 1);
}

TEST(AllocTest, WarmChainCacheMakesAFiredDeferredFree) {
  if (!internal::kThreadBlockCacheEnabled) GTEST_SKIP() << "no chain cache under ASan";
  int sum = 0;
  long n = allocationsWhenWarm([&] {
    Deferred<int> d;
    d.addCallback([&sum](int v) { sum += v; });
    d.callback(2);
  });
  EXPECT_EQ(sum, 4);
  EXPECT_EQ(n, 0);
}

TEST(AllocTest, ChainCacheIsBounded) {
  if (!internal::kThreadBlockCacheEnabled) GTEST_SKIP() << "no chain cache under ASan";
  // Free twice the limit at once, then take them again: only the limit is
  // served from the cache, the rest is allocated.
  constexpr std::size_t kMany = 2 * internal::ChainBlocks::kMaxCached;
  auto makeAndDrop = [] { std::vector<Deferred<int>> ds(kMany); };
  makeAndDrop();
  internal::ChainBlocks::trim();
  makeAndDrop();  // fills the cache up to its limit
  long before = testing::allocationCount();
  std::vector<Deferred<int>> ds(kMany);
  long n = testing::allocationCount() - before;
  // The vector's own buffer, and the chains the cache could not hold.
  EXPECT_EQ(n, 1 + static_cast<long>(kMany - internal::ChainBlocks::kMaxCached));
}

}  // namespace
}  // namespace torsion
