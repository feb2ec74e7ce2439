// torsion/net/transport.h: a connection's write side and controls.
//
// Mirrors twisted.internet.interfaces ITransport, ITCPTransport and
// IHalfCloseableDescriptor's loseWriteConnection. Nothing here assumes file
// descriptors or readiness: a completion-model backend (IOCP, io_uring)
// supplies its own Transport implementations behind this interface.
//
//   void Echo::dataReceived(std::string_view data) {
//     transport()->write(data);          // buffered, never blocks
//   }
//   transport()->loseConnection();       // flush what is buffered, then close
//
// Buffers are bounded: write() buffers up to the high-water mark and pauses
// a registered streaming producer beyond it; past the hard limit the
// connection is aborted with ConnectionLost instead of growing without
// bound (a peer that never reads cannot exhaust memory).
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TRANSPORT_H_
#define TORSION_NET_TRANSPORT_H_

#include <cstddef>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "net/address.h"
#include "net/producer.h"

namespace torsion::net {

struct WriteBufferLimits {
  // Pause a streaming producer when the buffer holds more than this.
  std::size_t highWater = 64 * 1024;
  // Resume it when the buffer drains below this.
  std::size_t lowWater = 16 * 1024;
  // Abort the connection (ConnectionLost) when the buffer would exceed
  // this: the bound that protects the process from a peer that never reads.
  std::size_t hardLimit = 64 * 1024 * 1024;
};

class Transport : public Consumer, public Producer {
 public:
  // Queues `data` to be sent; never blocks. Ignored once the connection
  // is lost, aborted or its write side shut down; still sent (before the
  // close) after loseConnection(), so a registered producer can finish.
  void write(std::string_view data) override = 0;
  // Queues every piece in order, as one write of their concatenation.
  virtual void writeSequence(std::span<const std::string_view> data) = 0;

  // Closes after everything buffered was written (and after a registered
  // producer unregistered). The protocol then sees connectionLost with
  // ConnectionDone.
  virtual void loseConnection() = 0;
  // Closes now, discarding the buffer (TCP: sends RST). connectionLost gets
  // ConnectionAborted.
  virtual void abortConnection() = 0;
  // Half-close: flush, then shut down the write side only; reading goes on.
  virtual void loseWriteConnection() = 0;

  // True once loseConnection() or abortConnection() was called (Twisted's
  // transport.disconnecting). LineReceiver and LineOnlyReceiver stop
  // delivering the rest of a chunk when it turns true; the string receivers
  // do not, as in Twisted. Not pure, so that a transport written before it existed still
  // compiles; every real transport should override it.
  virtual bool disconnecting() const { return false; }

  virtual Address getPeer() const = 0;
  virtual Address getHost() const = 0;

  // Producer (the read side): pauseProducing() stops reading,
  // resumeProducing() reads again, stopProducing() closes the connection.

  // ITCPTransport. Errors name the socket option and why it failed.
  virtual absl::Status setTcpNoDelay(bool enabled) = 0;
  virtual absl::Status setTcpKeepAlive(bool enabled) = 0;

  virtual void setWriteBufferLimits(const WriteBufferLimits& limits) = 0;
  // Bytes written by the protocol but not yet handed to the kernel.
  virtual std::size_t writeBufferSize() const = 0;
};

}  // namespace torsion::net

#endif  // TORSION_NET_TRANSPORT_H_
