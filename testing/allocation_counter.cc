#include "testing/allocation_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
// Constant-initialised, so counting works from the first static initialiser
// that allocates.
constinit std::atomic<std::int64_t> gAllocations{0};
}  // namespace

void* operator new(std::size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace torsion::testing {

std::int64_t allocationCount() { return gAllocations.load(std::memory_order_relaxed); }

}  // namespace torsion::testing
