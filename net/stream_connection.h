// torsion/net/stream_connection.h: a connected stream socket (TCP or Unix)
// as a readiness-driven Transport (internal).
//
// Mirrors twisted.internet.tcp.Connection / Server / Client on top of
// abstract.FileDescriptor: reading into a per-thread buffer, write
// buffering with sendmsg(), loseConnection / abortConnection /
// loseWriteConnection, the Transport's own push-producer side (pause and
// resume reading) and producer registration with high/low-water marks.
//
// Lifetime: start() registers the connection with the reactor and makes it
// hold itself (self_) until connectionLost has run; the protocol is
// released right after its connectionLost returns (Twisted
// test_protocolGarbageAfterLostConnection). connectionLost is never called
// from inside write(), loseConnection(), abortConnection() or
// resumeProducing(): those defer it to the reactor (Twisted N4).
//
//   auto conn = std::make_shared<internal::StreamConnection>(
//       reactor, fd, protocol, kind);
//   absl::Status s = internal::StreamConnection::start(conn);
//
// Shared with the IOCP connection: the producer bookkeeping
// (net/producer_slot.h) and the end-of-connection report
// (net/stream_lost.h).
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_CONNECTION_H_
#define TORSION_NET_STREAM_CONNECTION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "deferred/failure.h"
#include "net/producer_slot.h"
#include "net/protocol.h"
#include "net/transport.h"
#include "net/write_buffer.h"

namespace torsion::net::internal {

enum class StreamKind { kTcp, kUnix };

class StreamConnection final : public FileDescriptor,
                               public Transport,
                               public std::enable_shared_from_this<StreamConnection> {
 public:
  // Takes ownership of `fd`, a connected non-blocking stream socket.
  StreamConnection(Reactor& reactor, int fd, std::shared_ptr<Protocol> protocol,
                   StreamKind kind);
  ~StreamConnection() override;

  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Registers `conn` for reading, makes it keep itself alive and calls
  // protocol->makeConnection(). On error (the backend refused the fd, e.g.
  // select's FD_SETSIZE) the socket is closed, the protocol is never
  // connected and the error is returned.
  static absl::Status start(const std::shared_ptr<StreamConnection>& conn);

  // Called after the protocol's connectionLost (the client connector uses
  // it for clientConnectionLost).
  void setOnLost(absl::AnyInvocable<void(const Failure&)> onLost) {
    onLost_ = std::move(onLost);
  }

  bool connected() const { return connected_; }

  // ---- Transport -------------------------------------------------------------
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  void loseConnection() override;
  void abortConnection() override;
  void loseWriteConnection() override;
  // loseConnection()/abortConnection() was called, or the connection is
  // gone (Twisted's transport.disconnecting; LineReceiver relies on it).
  bool disconnecting() const override { return disconnecting_ || aborting_ || lost_; }
  Address getPeer() const override { return peer_; }
  Address getHost() const override { return host_; }
  absl::Status setTcpNoDelay(bool enabled) override;
  absl::Status setTcpKeepAlive(bool enabled) override;
  void setWriteBufferLimits(const WriteBufferLimits& limits) override {
    limits_ = limits;
  }
  std::size_t writeBufferSize() const override { return buffer_.size(); }

  // Consumer.
  void registerProducer(Producer* producer, bool streaming) override;
  void unregisterProducer() override;

  // Producer: the read side.
  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override { loseConnection(); }

  // ---- FileDescriptor --------------------------------------------------------
  int fileno() const override { return fd_; }
  LostReason doRead() override;
  LostReason doWrite() override;
  void connectionLost(const LostReason& reason) override;
  bool halfCloseable() const override;
  void readConnectionLost(const LostReason& reason) override;
  std::string logPrefix() const override;

 private:
  void startReading();
  void stopReading();
  void startWriting();
  void stopWriting();
  // Sends what it can of the buffer (then of `extra`) right now; what the
  // kernel does not take is buffered. Errors are kept in writeError_ and
  // reported from doWrite, never from inside write().
  void sendNow(const std::string_view* pieces, std::size_t count);
  // Flushes the buffer; false (and writeError_ set) on a socket error.
  bool flush();
  // Schedules connectionLost(reason) for the next reactor pass.
  void closeSoon(LostReason reason);

  Reactor& reactor_;
  int fd_;
  StreamKind kind_;
  std::shared_ptr<Protocol> protocol_;
  std::shared_ptr<StreamConnection> self_;  // alive while the reactor uses us
  absl::AnyInvocable<void(const Failure&)> onLost_;
  Address host_;
  Address peer_;
  WriteBuffer buffer_;
  WriteBufferLimits limits_;
  ProducerSlot producer_;
  int writeError_ = 0;  // errno of a failed direct send

  bool connected_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool readPaused_ = false;  // pauseProducing() on the transport
  bool readDisconnected_ = false;
  bool disconnecting_ = false;  // loseConnection() called
  bool aborting_ = false;       // abortConnection() (or hard limit) pending
  bool writeDisconnecting_ = false;
  bool writeDisconnected_ = false;
  bool sendReset_ = false;  // close with RST (SO_LINGER 0)
  bool lost_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_CONNECTION_H_
