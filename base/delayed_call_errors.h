// torsion/base/delayed_call_errors.h: what DelayedCall throws on misuse.
//
// Twisted's twisted.internet.error.AlreadyCalled and AlreadyCancelled. Like
// Twisted's, they are value errors; std::logic_error is their common base
// and what callers catch. core/errors.h includes this header.
//
//   try {
//     call.cancel();
//   } catch (const torsion::AlreadyCalled&) {
//     // it ran already: nothing to cancel
//   }
#ifndef TORSION_BASE_DELAYED_CALL_ERRORS_H_
#define TORSION_BASE_DELAYED_CALL_ERRORS_H_

#include <stdexcept>

namespace torsion {

// cancel(), reset() or delay() on a DelayedCall that has already started
// running (also from inside its own callable).
class AlreadyCalled : public std::logic_error {
 public:
  AlreadyCalled()
      : std::logic_error("AlreadyCalled: the DelayedCall has already been called") {}
};

// cancel(), reset() or delay() on a DelayedCall that was cancelled.
class AlreadyCancelled : public std::logic_error {
 public:
  AlreadyCancelled()
      : std::logic_error("AlreadyCancelled: the DelayedCall has already been cancelled") {
  }
};

}  // namespace torsion

#endif  // TORSION_BASE_DELAYED_CALL_ERRORS_H_
