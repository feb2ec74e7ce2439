// torsion/deferred/test_util.h: helpers for tests of Deferred code
// (Twisted's SynchronousTestCase.successResultOf / failureResultOf /
// assertNoResult, and a fixture that fails a test leaving unhandled errors).
//
//   TEST_F(DeferredTest, Example) {
//     torsion::Deferred<int> d = torsion::succeed(3);
//     EXPECT_EQ(successResultOf(d), 3);  // outside a fixture:
//   }                                    // torsion::testing::successResultOf
//
// testonly; not thread-safe.
#ifndef TORSION_DEFERRED_TEST_UTIL_H_
#define TORSION_DEFERRED_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "base/log.h"
#include "deferred/deferred.h"
#include "gtest/gtest.h"

namespace torsion::testing {

// The value `d` has now; fails the test (and throws std::logic_error) if it
// has none or a Failure. Leaves the chain as it was (the probe step passes
// the result on), and updates `d` to the handle after the probe.
template <typename T>
T successResultOf(Deferred<T>& d) {
  // Shared with the probe: if it cannot run now it runs later, after this
  // frame is gone.
  struct Seen {
    bool ran = false;
    std::optional<Outcome<T>> outcome;
  };
  auto seen = std::make_shared<Seen>();
  d = d.addBoth([seen](Outcome<T> o) -> Outcome<T> {
    seen->ran = true;
    seen->outcome = o;
    return o;
  });
  if (!seen->ran) {
    ADD_FAILURE() << "successResultOf: the Deferred has no result yet";
    throw std::logic_error("successResultOf: no result");
  }
  if (seen->outcome->isFailure()) {
    ADD_FAILURE() << "successResultOf: the Deferred failed: "
                  << seen->outcome->failure().getBriefTraceback();
    throw std::logic_error("successResultOf: failed");
  }
  if constexpr (!std::is_void_v<T>) return std::move(*seen->outcome).value();
}

// The Failure `d` has now, which is consumed: the chain goes on with void,
// so no unhandled error is reported. Fails the test (returning an empty
// Failure) if it has no result or a value.
template <typename T>
Failure failureResultOf(Deferred<T>& d) {
  auto seen = std::make_shared<std::optional<Outcome<T>>>();
  (void)d.addBoth([seen](Outcome<T> o) { seen->emplace(std::move(o)); });
  if (!seen->has_value()) {
    ADD_FAILURE() << "failureResultOf: the Deferred has no result yet";
    return Failure();
  }
  if (!(*seen)->isFailure()) {
    ADD_FAILURE() << "failureResultOf: the Deferred succeeded";
    return Failure();
  }
  return (*seen)->failure();
}

// True if `d` has no result right now (unfired, paused or waiting).
template <typename T>
bool hasNoResult(const Deferred<T>& d) {
  return !d.called() || d.paused();
}

// An error type of the tests' own (twisted/test/test_defer.py GenericError),
// so a test can tell its failure from any the code under test raises.
class GenericError : public std::runtime_error {
 public:
  GenericError() : std::runtime_error("GenericError") {}
  using std::runtime_error::runtime_error;
};

// Fails every test that leaves "Unhandled error in Deferred" (or any other
// logged error) behind: Twisted's dirty-reactor check for Deferreds. Tests
// that expect errors flush them with capture_.flushErrors().
class DeferredTest : public ::testing::Test {
 protected:
  // Twisted's SynchronousTestCase methods, so a TEST_F body calls them
  // unqualified, as a Twisted test calls self.successResultOf(d).
  template <typename T>
  static T successResultOf(Deferred<T>& d) {
    return testing::successResultOf(d);
  }
  template <typename T>
  static Failure failureResultOf(Deferred<T>& d) {
    return testing::failureResultOf(d);
  }
  template <typename T>
  static bool hasNoResult(const Deferred<T>& d) {
    return testing::hasNoResult(d);
  }

  void TearDown() override {
    for (const log::Event& e : capture_.flushErrors()) {
      ADD_FAILURE() << "logged error left behind: " << e.message;
    }
    setDebugging(false);
  }
  log::LogCapture capture_;
};

}  // namespace torsion::testing

#endif  // TORSION_DEFERRED_TEST_UTIL_H_
