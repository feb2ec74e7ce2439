#include "deferred/errors.h"

#include <sstream>

namespace torsion {

AlreadyCalledError::AlreadyCalledError(const std::string& what)
    : std::logic_error(what) {}

CancelledError::CancelledError()
    : std::runtime_error("CancelledError: the Deferred was cancelled") {}

CancelledError::CancelledError(const std::string& what) : std::runtime_error(what) {}

namespace {
std::string timeoutMessage(double seconds) {
  std::ostringstream out;
  out << "TimeoutError: Deferred timed out after " << seconds << " seconds";
  return out.str();
}
}  // namespace

TimeoutError::TimeoutError(double timeoutSeconds)
    : std::runtime_error(timeoutMessage(timeoutSeconds)), timeout_(timeoutSeconds) {}

NoCurrentExceptionError::NoCurrentExceptionError(const std::string& what)
    : std::logic_error(what) {}

DeferredTypeError::DeferredTypeError(const std::string& what) : std::logic_error(what) {}

}  // namespace torsion
