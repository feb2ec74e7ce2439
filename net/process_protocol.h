// torsion/net/process_protocol.h: ProcessProtocol and the process transport
// it talks to.
//
// Mirrors twisted.internet.protocol.ProcessProtocol and
// twisted.internet.interfaces.IProcessTransport. A ProcessProtocol hears a
// child's output per child file descriptor and how the child ended; the
// ProcessTransport writes to the child, closes its pipes and signals it.
//
//   class Collect : public torsion::net::ProcessProtocol {
//     void outReceived(std::string_view data) override { out += data; }
//     void processEnded(const torsion::Failure& reason) override {
//       done = true;   // ProcessDone, or ProcessTerminated with the code
//     }
//     std::string out;
//     bool done = false;
//   };
//   auto t = torsion::net::spawnProcess(reactor, protocol, "/bin/cat", {"cat"});
//   (*t)->write("hello");
//   (*t)->closeStdin();
//
// Order of events, as in Twisted: makeConnection (connectionMade) during
// spawnProcess; childDataReceived as output arrives; childConnectionLost
// once per parent-side pipe as it closes (EOF, closeChildFD, an error);
// processExited when the child has been reaped; processEnded once both have
// happened, every pipe lost and the child reaped, so all output was seen
// first. Exceptions thrown by these callbacks are logged and ignored.
//
// Ownership: the transport holds its protocol (std::shared_ptr) and keeps
// itself alive until processEnded has run; nobody has to hold either. The
// protocol's transport() is valid from makeConnection until processEnded
// returns, null afterwards.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_PROCESS_PROTOCOL_H_
#define TORSION_NET_PROCESS_PROTOCOL_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "deferred/failure.h"
#include "net/producer.h"
#include "net/transport.h"

namespace torsion::net {

class ProcessTransport;

class ProcessProtocol {
 public:
  virtual ~ProcessProtocol() = default;

  // Attaches the transport and calls connectionMade().
  void makeConnection(ProcessTransport* transport);
  virtual void connectionMade() {}

  // Bytes the child wrote to `childFD` (one mapped "r"). The default sends
  // fd 1 to outReceived and fd 2 to errReceived and drops the rest.
  virtual void childDataReceived(int childFD, std::string_view data);
  virtual void outReceived(std::string_view data) { (void)data; }
  virtual void errReceived(std::string_view data) { (void)data; }

  // The parent's end of the pipe for `childFD` is closed. The default sends
  // fd 0, 1 and 2 to inConnectionLost, outConnectionLost, errConnectionLost.
  virtual void childConnectionLost(int childFD);
  virtual void inConnectionLost() {}
  virtual void outConnectionLost() {}
  virtual void errConnectionLost() {}

  // The child was reaped: ProcessDone or ProcessTerminated
  // (net/process_errors.h). Some pipes may still be open.
  virtual void processExited(const Failure& reason) { (void)reason; }
  // The child was reaped and every pipe is closed: the last call.
  virtual void processEnded(const Failure& reason) { (void)reason; }

  ProcessTransport* transport() const { return transport_; }
  // Called by the transport after processEnded.
  void detachTransport() { transport_ = nullptr; }

 private:
  ProcessTransport* transport_ = nullptr;
};

// IProcessTransport. write(), writeSequence() and the producer registration
// go to the child's stdin (fd 0), with the same buffering, limits and
// backpressure as a TCP transport (net/transport.h's WriteBufferLimits).
// As a producer it stands for the child's output: pauseProducing() stops
// reading every pipe the parent reads from.
class ProcessTransport : public Consumer, public Producer {
 public:
  // The child's process id; empty once it has been reaped (Twisted: None).
  virtual std::optional<int> pid() const = 0;

  // Writes to the child's stdin; silently dropped when there is none (or it
  // was closed), as in Twisted.
  void write(std::string_view data) override = 0;
  virtual void writeSequence(std::span<const std::string_view> data) = 0;
  // Writes to the pipe mapped "w" for `childFD`. Throws
  // std::invalid_argument when `childFD` was not mapped "w"; dropped once
  // that pipe is closed.
  virtual void writeToChild(int childFD, std::string_view data) = 0;

  // Closes the parent's end of `childFD`'s pipe: a pipe we write to is
  // flushed first (the child then reads EOF); one we read from is closed at
  // once. Unknown or closed fds are ignored. childConnectionLost follows on
  // a later pass.
  virtual void closeChildFD(int childFD) = 0;
  void closeStdin() { closeChildFD(0); }
  void closeStdout() { closeChildFD(1); }
  void closeStderr() { closeChildFD(2); }
  // closeStdin, closeStderr, closeStdout. The child itself is not touched.
  virtual void loseConnection() = 0;

  // Sends a signal: "HUP", "INT", "KILL", "TERM", "STOP", "CONT", "QUIT",
  // "USR1", "USR2", "ALRM", "PIPE", "CHLD" (Twisted takes the first five) or
  // a number. Throws ProcessExitedAlready once the child was reaped (or is
  // gone), std::invalid_argument for an unknown name, std::system_error for
  // another failure.
  virtual void signalProcess(std::string_view signalName) = 0;
  virtual void signalProcess(int signo) = 0;

  // Limits of each pipe the parent writes to (defaults as for TCP).
  virtual void setWriteBufferLimits(const WriteBufferLimits& limits) = 0;
  // Bytes buffered for `childFD` (default stdin) not yet taken by the pipe.
  virtual std::size_t writeBufferSize(int childFD = 0) const = 0;
};

}  // namespace torsion::net

#endif  // TORSION_NET_PROCESS_PROTOCOL_H_
