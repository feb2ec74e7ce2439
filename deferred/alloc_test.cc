// Counts heap allocations: one fired Deferred with one (small) callback
// costs exactly one allocation, the chain itself. Separate binary because
// it replaces the global operator new.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "deferred/deferred.h"
#include "gtest/gtest.h"

namespace {
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace torsion {
namespace {

// Allocations of one steady-state run of `f`. It runs once first: some
// runtimes allocate on a thread's first use of thread-local state (mingw's
// emulated TLS does), which is a per-thread cost, not a per-Deferred one.
long allocationsDuring(auto&& f) {
  f();
  long before = allocations.load();
  f();
  return allocations.load() - before;
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

}  // namespace
}  // namespace torsion
