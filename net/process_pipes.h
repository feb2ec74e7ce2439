// torsion/net/process_pipes.h: the parent's ends of a child's pipes
// (internal, POSIX).
//
// Mirrors twisted.internet.process ProcessReader and ProcessWriter: a
// reader hands what the child wrote to its owner; a writer buffers what the
// owner writes, with a TCP transport's limits and producer backpressure
// (WriteBuffer, ProducerSlot), and notices the child closing its end even
// while it has nothing to write (it watches the pipe for reading, which
// only reports the error of a pipe without readers: Twisted's
// "enableReadHack"; while it has bytes to write, a failing write tells). Both tell the
// owner once when they are lost, always from the reactor, never from inside write() or
// loseConnection().
//
//   PipeReader out(reactor, owner, /*childFD=*/1, readEnd);
//   out.start();
//
// Writes to a pipe whose reader is gone fail with EPIPE and, without
// care, raise SIGPIPE, whose default kills the process: the writer blocks
// SIGPIPE on its thread around each write and takes a signal that write
// raised, so no process-wide disposition is changed.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_PROCESS_PIPES_H_
#define TORSION_NET_PROCESS_PIPES_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/producer.h"
#include "net/producer_slot.h"
#include "net/transport.h"
#include "net/write_buffer.h"

namespace torsion::net::internal {

// What a pipe reports to (the process transport).
class PipeOwner {
 public:
  virtual void childDataReceived(int childFD, std::string_view data) = 0;
  // The pipe is closed; its last call.
  virtual void childConnectionLost(int childFD, const LostReason& reason) = 0;

 protected:
  ~PipeOwner() = default;
};

class ProcessPipe : public FileDescriptor {
 public:
  ProcessPipe(Reactor& reactor, PipeOwner& owner, int childFD, int fd);
  ~ProcessPipe() override;
  ProcessPipe(const ProcessPipe&) = delete;
  ProcessPipe& operator=(const ProcessPipe&) = delete;

  // Registers with the reactor; an error (select's FD_SETSIZE) is returned.
  virtual absl::Status start() = 0;
  // closeChildFD: a writer flushes first, a reader closes at once.
  virtual void loseConnection() = 0;

  int childFD() const { return childFD_; }
  bool open() const { return fd_ >= 0; }
  int fileno() const override { return fd_; }
  std::string logPrefix() const override;
  void connectionLost(const LostReason& reason) override;

 protected:
  // Unregisters now and reports `reason` on the next pass (once).
  void closeSoon(LostReason reason);
  void setReading(bool on) { setInterest(on, reading_, /*reading=*/true); }
  void setWriting(bool on) { setInterest(on, writing_, /*reading=*/false); }
  // What a subclass drops when the pipe closes.
  virtual void released() {}

  Reactor& reactor_;
  PipeOwner& owner_;
  // Registers or unregisters one interest, keeping `flag` in step; a
  // registration the reactor refuses is logged and leaves it off.
  void setInterest(bool on, bool& flag, bool reading);
  const int childFD_;
  int fd_;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
};

class PipeReader final : public ProcessPipe {
 public:
  using ProcessPipe::ProcessPipe;

  absl::Status start() override;
  void loseConnection() override { closeSoon(std::make_exception_ptr(ConnectionDone())); }
  void pauseReading() { setReading(false); }
  void resumeReading() {
    if (!closing_ && open()) setReading(true);
  }
  LostReason doRead() override;
};

class PipeWriter final : public ProcessPipe, public Consumer {
 public:
  using ProcessPipe::ProcessPipe;

  absl::Status start() override;
  void loseConnection() override;

  // Consumer. Dropped once the pipe is closing or closed.
  void write(std::string_view data) override { writePieces(&data, 1); }
  void writePieces(const std::string_view* pieces, std::size_t count);
  void registerProducer(Producer* producer, bool streaming) override;
  void unregisterProducer() override;

  void setLimits(const WriteBufferLimits& limits) { limits_ = limits; }
  std::size_t bufferSize() const { return buffer_.size(); }

  // Readable means the child closed its end (see above).
  LostReason doRead() override;
  LostReason doWrite() override;

 private:
  // writev of the buffer (or of `pieces` when the buffer is empty): bytes
  // taken, or -1 with errno.
  long writeSome(const std::string_view* pieces, std::size_t count);
  void released() override;

  WriteBuffer buffer_;
  WriteBufferLimits limits_;
  ProducerSlot producer_;
  bool disconnecting_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_PROCESS_PIPES_H_
