// torsion/deferred/debug.h: Deferred debugging mode.
//
// Mirrors twisted.internet.defer.setDebugging / getDebugging. While
// debugging is on, every Deferred created records the stack that created it
// and, when first fired, the stack that fired it. Both are shown in
// AlreadyCalledError messages (" C:" creator, " I:" first invoker) and in
// "Unhandled error in Deferred" reports ("(debug:  C: ... I: ...)").
//
//   torsion::setDebugging(true);   // e.g. in a test's SetUp
//
// Costs two stack walks and symbolizations per Deferred, so keep it for
// debugging. Toggling at any time is safe: a Deferred created before
// debugging was on simply has no creation stack.
//
// Thread-safety: both functions may be called from any thread.
#ifndef TORSION_DEFERRED_DEBUG_H_
#define TORSION_DEFERRED_DEBUG_H_

#include <atomic>
#include <string>

namespace torsion {

void setDebugging(bool on);
bool getDebugging();

namespace internal {

// getDebugging() inline: every chain asks when made and when fired, and the
// call cost ~8 instructions a Deferred (W5 succeed, callgrind).
extern std::atomic<bool> gDebugging;
inline bool debugging() { return gDebugging.load(std::memory_order_relaxed); }

// The current call stack, one symbolized frame per line, each prefixed with
// `indent`; skips `skip` innermost frames beyond this function itself.
std::string captureStack(int skip, const char* indent);

}  // namespace internal
}  // namespace torsion

#endif  // TORSION_DEFERRED_DEBUG_H_
