// torsion/base/log.h: the pluggable log that errors nobody handled go to.
//
// Mirrors the part of twisted.python.log that the event loop uses: `log.err`
// for "Unhandled error in Deferred", for an exception thrown by a timed call
// or a system event trigger, and for errors inside thread-pool work. Nothing
// here knows about the reactor or Deferreds, so every layer can report
// through it.
//
//   torsion::log::LogCapture capture;          // in a test
//   reactor.callLater(0s, [] { throw std::runtime_error("boom"); });
//   ... run ...
//   EXPECT_EQ(capture.errors().size(), 1);
//
// Thread-safety: every function here may be called from any thread.
// Observers run on the thread that logged, under no lock of ours that they
// could deadlock on: they must not add or remove observers themselves.
#ifndef TORSION_BASE_LOG_H_
#define TORSION_BASE_LOG_H_

#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace torsion::log {

enum class Severity { kInfo, kWarning, kError };

// One logged event. `failure` is set when an exception caused the event.
struct Event {
  Severity severity = Severity::kInfo;
  std::string system;   // who logged it: "reactor", "deferred", "threadpool"
  std::string message;  // the whole human-readable text
  std::exception_ptr failure;
};

using Observer = absl::AnyInvocable<void(const Event&)>;

// Identifies an added observer so that it can be removed.
using ObserverId = std::uint64_t;

// Adds `observer`; every event logged from now on is passed to it. While at
// least one observer is registered the default observer (which prints
// errors and warnings to stderr) is silent.
ObserverId addObserver(Observer observer);

// Removes an observer added by addObserver. Unknown ids are ignored.
void removeObserver(ObserverId id);

// Logs an event to every observer (or to stderr when there is none).
void emit(Event event);

// Convenience forms of emit().
void msg(std::string_view system, std::string message);
void warn(std::string_view system, std::string message);
void err(std::string_view system, std::string message,
         std::exception_ptr failure = nullptr);

// Captures every event logged while it lives, instead of printing them.
// Tests use it to count reported errors: Twisted's flushLoggedErrors.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Every event captured so far, in order.
  std::vector<Event> events() const;
  // Only the kError events.
  std::vector<Event> errors() const;
  // Returns and forgets the kError events (twisted's flushLoggedErrors).
  std::vector<Event> flushErrors();

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
  ObserverId id_;
};

}  // namespace torsion::log

#endif  // TORSION_BASE_LOG_H_
