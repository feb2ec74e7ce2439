// torsion/core/errors.h: the typed exceptions the reactor throws on misuse.
//
// Mirrors the parts of twisted.internet.error that core/ raises:
// AlreadyCalled and AlreadyCancelled (DelayedCall misuse), ReactorNotRunning
// and ReactorAlreadyRunning (lifecycle misuse), and ConnectionDone /
// ConnectionLost, the reasons handed to FileDescriptor::connectionLost.
// Like Twisted, ReactorNotRunning is a runtime error and the DelayedCall
// errors are value errors (std::invalid_argument would be the closest, but
// std::logic_error is their common base and what callers catch).
//
//   try {
//     call.cancel();
//   } catch (const torsion::AlreadyCalled&) {
//     // it ran already: nothing to cancel
//   }
//
// Header-only. The DelayedCall errors live in base/ with DelayedCall and
// are included here, so one header still names every core/ error.
#ifndef TORSION_CORE_ERRORS_H_
#define TORSION_CORE_ERRORS_H_

#include <stdexcept>
#include <string>

#include "base/delayed_call_errors.h"  // AlreadyCalled, AlreadyCancelled

namespace torsion {

// stop() on a reactor that is not running, or a second stop() in one run.
class ReactorNotRunning : public std::runtime_error {
 public:
  explicit ReactorNotRunning(const std::string& what =
                                 "ReactorNotRunning: can't stop a reactor "
                                 "that isn't running")
      : std::runtime_error(what) {}
};

// run() or iterate() while the reactor is already running.
class ReactorAlreadyRunning : public std::runtime_error {
 public:
  explicit ReactorAlreadyRunning(const std::string& what =
                                     "ReactorAlreadyRunning: the reactor is "
                                     "already running")
      : std::runtime_error(what) {}
};

// A connection was closed cleanly (Twisted's error.ConnectionDone): the
// usual reason handed to connectionLost for an orderly close.
class ConnectionDone : public std::runtime_error {
 public:
  explicit ConnectionDone(const std::string& what =
                              "ConnectionDone: connection was closed "
                              "cleanly")
      : std::runtime_error(what) {}
};

// A connection was lost in an unclean way (Twisted's error.ConnectionLost):
// hang-up without a pending read, an error on the descriptor, a descriptor
// that went away, reactor shutdown.
class ConnectionLost : public std::runtime_error {
 public:
  explicit ConnectionLost(const std::string& what =
                              "ConnectionLost: connection to the other "
                              "side was lost in a non-clean fashion")
      : std::runtime_error(what) {}
};

}  // namespace torsion

#endif  // TORSION_CORE_ERRORS_H_
