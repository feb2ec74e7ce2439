// torsion/net/process_errors.h: how a child process ended, and signalling
// one that is gone.
//
// Mirrors twisted.internet.error ProcessDone, ProcessTerminated and
// ProcessExitedAlready, with Twisted's messages. ProcessProtocol's
// processExited and processEnded get a Failure holding ProcessDone (exit
// code 0) or ProcessTerminated (a non-zero exit code, or the signal that
// killed the child); ProcessDone is a ConnectionDone and ProcessTerminated a
// ConnectionLost, as in Twisted.
//
//   void processEnded(const Failure& reason) override {
//     if (auto* t = reason.check<torsion::net::ProcessTerminated>()) ...
//   }
//
// Header-only; the standard library and core/errors.h alone.
#ifndef TORSION_NET_PROCESS_ERRORS_H_
#define TORSION_NET_PROCESS_ERRORS_H_

#include <optional>
#include <stdexcept>
#include <string>

#include "core/errors.h"

namespace torsion::net {

// The child exited with code 0.
class ProcessDone : public ConnectionDone {
 public:
  explicit ProcessDone(int status)
      : ConnectionDone(
            "ProcessDone: A process has ended without apparent errors: process "
            "finished with exit code 0."),
        status_(status) {}
  int exitCode() const { return 0; }
  // The raw wait status (waitpid's).
  int status() const { return status_; }

 private:
  int status_;
};

// The child exited with a non-zero code, or was killed by a signal.
class ProcessTerminated : public ConnectionLost {
 public:
  ProcessTerminated(std::optional<int> exitCode, std::optional<int> signal, int status)
      : ConnectionLost(describe(exitCode, signal)),
        exitCode_(exitCode),
        signal_(signal),
        status_(status) {}
  // Set when the child exited; empty when a signal ended it.
  std::optional<int> exitCode() const { return exitCode_; }
  // The signal that ended the child, if one did.
  std::optional<int> signal() const { return signal_; }
  int status() const { return status_; }

 private:
  static std::string describe(std::optional<int> exitCode, std::optional<int> signal) {
    std::string s =
        "ProcessTerminated: A process has ended with a probable error condition: "
        "process ended";
    if (exitCode) s += " with exit code " + std::to_string(*exitCode);
    if (signal) s += " by signal " + std::to_string(*signal);
    return s + ".";
  }
  std::optional<int> exitCode_;
  std::optional<int> signal_;
  int status_;
};

// signalProcess on a child that has exited (and was reaped).
class ProcessExitedAlready : public std::runtime_error {
 public:
  ProcessExitedAlready()
      : std::runtime_error(
            "ProcessExitedAlready: The process has already exited, and the operation "
            "requested can no longer be performed.") {}
};

}  // namespace torsion::net

#endif  // TORSION_NET_PROCESS_ERRORS_H_
