// torsion/deferred/errors.h: the typed exceptions of the Deferred layer.
//
// Mirrors the error classes of twisted.internet.defer (AlreadyCalledError,
// CancelledError, TimeoutError) and twisted.python.failure
// (NoCurrentExceptionError), plus DeferredTypeError, which only a statically
// typed port needs: it reports a Deferred<T> handle used on a chain that no
// longer carries (or was never created for) T.
//
//   try {
//     d.callback(1);
//     d.callback(2);
//   } catch (const torsion::AlreadyCalledError& e) {
//     // e.what() names the problem; with setDebugging(true) it also shows
//     // where the Deferred was created and first fired.
//   }
//
// Misuse (firing twice, stale handles, errback() outside a catch block) is a
// std::logic_error; outcomes of an operation (cancelled, timed out) are
// std::runtime_error, so that `catch (const std::runtime_error&)` in an
// errback does not swallow programming errors.
#ifndef TORSION_DEFERRED_ERRORS_H_
#define TORSION_DEFERRED_ERRORS_H_

#include <stdexcept>
#include <string>

namespace torsion {

// callback()/errback() on a Deferred that already has a result (Twisted's
// AlreadyCalledError). Also raised inside a callback that fires the very
// Deferred it is running on; it then becomes that chain's Failure.
class AlreadyCalledError : public std::logic_error {
 public:
  explicit AlreadyCalledError(const std::string& what);
};

// The result of a Deferred that was cancelled (Twisted's CancelledError).
class CancelledError : public std::runtime_error {
 public:
  CancelledError();
  explicit CancelledError(const std::string& what);
};

// The result of a Deferred whose addTimeout() expired (Twisted's
// defer.TimeoutError). timeout() is the limit, in seconds.
class TimeoutError : public std::runtime_error {
 public:
  explicit TimeoutError(double timeoutSeconds);
  double timeout() const { return timeout_; }

 private:
  double timeout_;
};

// errback() or Failure::current() called while no exception is being
// handled (Twisted's NoCurrentExceptionError).
class NoCurrentExceptionError : public std::logic_error {
 public:
  explicit NoCurrentExceptionError(const std::string& what);
};

// A Deferred<T> handle used where T no longer (or never did) fit its chain:
// adding a callback through a handle whose T is not what the chain carries
// now, or firing through a handle whose T is not what the chain was created
// for. The message names both types. Fix: use the handle the last
// addCallback returned (or Deferred::as<U>() for a deliberate re-view).
class DeferredTypeError : public std::logic_error {
 public:
  explicit DeferredTypeError(const std::string& what);
};

}  // namespace torsion

#endif  // TORSION_DEFERRED_ERRORS_H_
