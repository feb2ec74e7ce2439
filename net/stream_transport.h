// torsion/net/stream_transport.h: what every connected stream transport is,
// whatever drives its I/O (internal).
//
// Mirrors what Twisted's abstract.FileDescriptor (posix) and
// iocpreactor.abstract.FileHandle share: the connection's state, the write
// buffer and its limits, producer registration, loseConnection /
// abortConnection / loseWriteConnection (half-close), the transport's own
// push-producer side and the TCP options. Written once here; a transport
// family supplies only how its I/O starts, stops and is cancelled:
//
//   readiness (net/stream_connection.h): reading and writing are
//     registrations with the reactor (addReader / addWriter); a write is
//     tried at once and the rest waits for writability.
//   completion (net/completion_stream_transport.h; IOCP in net/iocp/,
//     io_uring in net/uring/): one receive and one send in flight; closing
//     cancels them.
//
// Lifetime: start() makes the transport hold itself until connectionLost
// has run; the protocol is released right after its connectionLost returns
// (Twisted test_protocolGarbageAfterLostConnection). connectionLost is
// never called from inside write(), loseConnection(), abortConnection() or
// resumeProducing(): those defer it to the reactor (Twisted N4).
//
//   class MyConnection final : public StreamTransport { ...the hooks... };
//   auto conn = std::make_shared<MyConnection>(reactor, protocol, StreamKind::kTcp);
//   absl::Status s = StreamTransport::start(conn);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_TRANSPORT_H_
#define TORSION_NET_STREAM_TRANSPORT_H_

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

// A listener's factory->buildProtocol(peer) for a client it accepted; null
// when the factory refused it or threw (logged under `logPrefix`): the
// listener then closes that client gracefully and goes on (Twisted N1).
std::shared_ptr<Protocol> buildServerProtocol(Factory& factory, const Address& peer,
                                              const std::string& logPrefix);

class StreamTransport : public Transport,
                        public std::enable_shared_from_this<StreamTransport> {
 public:
  StreamTransport(const StreamTransport&) = delete;
  StreamTransport& operator=(const StreamTransport&) = delete;

  // Reads the addresses, starts the family's I/O (beginIo), makes `t` keep
  // itself alive and calls protocol->makeConnection(). If the I/O cannot
  // start (e.g. select's FD_SETSIZE) the socket is closed, the protocol is
  // never connected and the error is returned.
  static absl::Status start(const std::shared_ptr<StreamTransport>& t);

  // Called after the protocol's connectionLost (the client connector uses
  // it for clientConnectionLost).
  void setOnLost(absl::AnyInvocable<void(const Failure&)> onLost) {
    onLost_ = std::move(onLost);
  }

  bool connected() const { return connected_; }

  // ---- Transport -------------------------------------------------------------
  void write(std::string_view data) final { writePieces(&data, 1); }
  void writeSequence(std::span<const std::string_view> data) final {
    writePieces(data.data(), data.size());
  }
  void loseConnection() final;
  void abortConnection() final;
  void loseWriteConnection() final;
  // loseConnection()/abortConnection() was called, or the connection is
  // gone (Twisted's transport.disconnecting; LineReceiver relies on it).
  bool disconnecting() const final { return disconnecting_ || aborting_ || lost_; }
  Address getPeer() const final { return peer_; }
  Address getHost() const final { return host_; }
  absl::Status setTcpNoDelay(bool enabled) final;
  absl::Status setTcpKeepAlive(bool enabled) final;
  void setWriteBufferLimits(const WriteBufferLimits& limits) final { limits_ = limits; }
  // Bytes of a send still in flight count until it completes. Zero once
  // the connection is aborted or lost (the bytes are dropped).
  std::size_t writeBufferSize() const final {
    return aborting_ || lost_ ? 0 : buffer_.size();
  }

  // Consumer.
  void registerProducer(Producer* producer, bool streaming) final;
  void unregisterProducer() final;

  // Producer: the read side.
  void pauseProducing() final;
  void resumeProducing() final;
  void stopProducing() final { loseConnection(); }

  virtual std::string logPrefix() const = 0;

 protected:
  StreamTransport(Reactor& reactor, std::shared_ptr<Protocol> protocol, StreamKind kind);
  ~StreamTransport() override = default;

  // ---- What a family supplies ---------------------------------------------------
  // The socket, -1 once closed.
  virtual int socketFd() const = 0;
  // Starts watching or receiving; an error stops start() (nothing to undo
  // but the socket, which closeIo() closes).
  virtual absl::Status beginIo() = 0;
  // After makeConnection: e.g. start the first receive.
  virtual void afterConnectionMade() {}
  // Reading may go on (resumeProducing, with nothing against it).
  virtual void resumeReading() = 0;
  // Reading must stop now (pauseProducing, loseConnection).
  virtual void stopReading() = 0;
  // `count` pieces holding `total` > 0 bytes to send or buffer; the
  // connection accepts writes. The family calls overHardLimit() before it
  // buffers anything.
  virtual void send(const std::string_view* pieces, std::size_t count,
                    std::size_t total) = 0;
  // The buffer should drain and then afterDrain() run (loseConnection,
  // loseWriteConnection, a producer going away).
  virtual void drainThenCheck() = 0;
  // abortConnection or the hard limit: stop I/O now, before the close.
  virtual void cancelIo() = 0;
  // connectionLost: release the socket (with RST when sendReset_) and what
  // only I/O still needs.
  virtual void closeIo() = 0;
  // Half-close: no more bytes from us (shutdown(SHUT_WR)).
  virtual void shutdownWriteSide() = 0;

  // ---- Shared steps for the families ------------------------------------------
  // If `more` bytes would take the buffer past the hard limit, aborts (with
  // RST, reported on the next pass) and returns true.
  bool overHardLimit(std::size_t more);
  // The buffer is empty and nothing is in flight: what Twisted's
  // FileDescriptor.doWrite does then. A streaming producer is resumed (a
  // pending close waits for it); else a pending loseConnection returns
  // ConnectionDone, the reason to close with; else a pending half-close
  // shuts the write side.
  LostReason afterDrain();
  // Schedules closeNow(reason) for the next reactor pass (once).
  void closeSoon(LostReason reason);
  // The end: closeIo(), then the producer and the protocol hear of it.
  // Runs once.
  void closeNow(const LostReason& reason);
  bool halfCloseableProtocol() const {
    return protocol_ != nullptr && protocol_->halfCloseable();
  }

  Reactor& reactor_;
  const StreamKind kind_;
  std::shared_ptr<Protocol> protocol_;
  WriteBuffer buffer_;
  WriteBufferLimits limits_;
  ProducerSlot producer_;

  bool connected_ = false;
  bool readPaused_ = false;  // pauseProducing() on the transport
  bool readDisconnected_ = false;
  bool disconnecting_ = false;  // loseConnection() called
  bool aborting_ = false;       // abortConnection() (or hard limit) pending
  bool writeDisconnecting_ = false;
  bool writeDisconnected_ = false;
  bool sendReset_ = false;  // close with RST (SO_LINGER 0)
  bool lost_ = false;

 private:
  void writePieces(const std::string_view* pieces, std::size_t count);
  void abortWith(LostReason why);
  absl::Status setOption(const char* call, const char* name, int level, int option,
                         bool enabled);

  std::shared_ptr<StreamTransport> self_;  // alive while the reactor uses us
  absl::AnyInvocable<void(const Failure&)> onLost_;
  Address host_;
  Address peer_;
  bool closeScheduled_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_TRANSPORT_H_
