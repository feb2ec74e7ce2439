// torsion/testing/allocation_counter.h: how many times this program has
// called the global operator new.
//
// Linking //testing:allocation_counter replaces the global operator new and
// delete of the whole binary (an `alwayslink` library), so only a binary
// that measures allocations links it, and never next to another
// replacement (benchmarks/alloc_counter.cc counts malloc instead).
//
//   const std::int64_t before = testing::allocationCount();
//   work();
//   EXPECT_EQ(testing::allocationCount() - before, 1);
//
// The count covers every thread; the aligned forms of operator new are not
// counted.
#ifndef TORSION_TESTING_ALLOCATION_COUNTER_H_
#define TORSION_TESTING_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace torsion::testing {

// Calls of the global operator new (any thread) since the program started.
std::int64_t allocationCount();

}  // namespace torsion::testing

#endif  // TORSION_TESTING_ALLOCATION_COUNTER_H_
