// torsion/tests/net/uring_test_util.h: the fixture base of the io_uring
// white-box tests (uring_*_test.cc): skipped where io_uring is unavailable,
// with the reactor's io_uring port at hand.
#ifndef TORSION_TESTS_NET_URING_TEST_UTIL_H_
#define TORSION_TESTS_NET_URING_TEST_UTIL_H_

#include "backends/io_uring_backend.h"
#include "backends/io_uring_port.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {

class UringNetTest : public NetTest {
 protected:
  void SetUp() override {
    if (absl::Status s = IoUringBackend::probe(); !s.ok()) {
      GTEST_SKIP() << "io_uring is unavailable here: " << s;
    }
    NetTest::SetUp();
  }

  // The reactor's io_uring port; nullptr when completions are switched off.
  IoUringPort* port() { return ioUringPortOf(reactor().completionPort()); }
};

}  // namespace torsion::testing

#endif  // TORSION_TESTS_NET_URING_TEST_UTIL_H_
