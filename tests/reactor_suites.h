// torsion/tests/reactor_suites.h: the fixtures of the reactor conformance
// suites whose cases live in more than one file (a portable file and a
// POSIX-only one), so that both files add to one suite: GoogleTest requires
// every TEST_P of a suite to use the same fixture type. Instantiated once,
// in the portable file (AllBackends/ReactorCoreTest.*/<backend>).
//
//   TEST_P(ReactorCoreTest, Stop) { ... }   // in any file including this
#ifndef TORSION_TESTS_REACTOR_SUITES_H_
#define TORSION_TESTS_REACTOR_SUITES_H_

#include "tests/reactor_test_base.h"

namespace torsion::testing {

// Lifecycle and system events (reactor_core_test.cc, *_posix_test.cc).
class ReactorCoreTest : public ReactorTest {};

// Threads and wake-ups (reactor_threads_test.cc, *_posix_test.cc).
class ReactorThreadsTest : public ReactorTest {};

// Driving the reactor from another loop: startRunning, timeout,
// backendFileno (reactor_embedding_test.cc, *_posix_test.cc).
class ReactorEmbeddingTest : public ReactorTest {};

}  // namespace torsion::testing

#endif  // TORSION_TESTS_REACTOR_SUITES_H_
