// torsion/net/iocp/iocp_stream_connection.h: a connected TCP socket as a
// completion-driven Transport (internal).
//
// Mirrors twisted.internet.iocpreactor.tcp.Connection on top of
// abstract.FileHandle: one overlapped WSARecv outstanding at a time (none
// while the transport is paused), one overlapped WSASend of the write
// buffer's front pieces, the same write-buffer marks, producers and close
// semantics as the readiness transport (net/stream_connection.h), which
// defines the observable behaviour.
//
// Closing: CancelIoEx + closesocket (SO_LINGER {1,0} first for an abort);
// every completion that arrives after that is treated as aborted. Each
// queued operation holds a shared_ptr to the connection, so the object (its
// read buffer, the bytes of a send in flight) outlives every operation it
// started. connectionLost runs exactly once and never from inside write(),
// loseConnection(), abortConnection() or resumeProducing().
//
// Shared with the readiness connection: the producer bookkeeping
// (net/producer_slot.h) and the end-of-connection report
// (net/stream_lost.h).
//
//   auto conn = std::make_shared<internal::IocpStreamConnection>(
//       reactor, socket, protocol, skipOnSuccess);
//   absl::Status s = internal::IocpStreamConnection::start(conn);
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_IOCP_STREAM_CONNECTION_H_
#define TORSION_NET_IOCP_IOCP_STREAM_CONNECTION_H_

#include <winsock2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/reactor.h"
#include "deferred/failure.h"
#include "net/iocp/iocp_support.h"
#include "net/producer_slot.h"
#include "net/protocol.h"
#include "net/transport.h"
#include "net/write_buffer.h"

namespace torsion::net::internal {

class IocpStreamConnection final
    : public Transport,
      public CompletionOwner,
      public std::enable_shared_from_this<IocpStreamConnection> {
 public:
  // Bytes asked of one WSARecv (the connection's own buffer: a pending
  // receive needs memory that no other connection touches).
  static constexpr std::size_t kReadSize = 64 * 1024;

  // Takes ownership of `s`, a connected socket already associated with the
  // reactor's port (associateSocket; `skipOnSuccess` is what it returned).
  IocpStreamConnection(Reactor& reactor, SOCKET s, std::shared_ptr<Protocol> protocol,
                       bool skipOnSuccess);
  ~IocpStreamConnection() override;

  IocpStreamConnection(const IocpStreamConnection&) = delete;
  IocpStreamConnection& operator=(const IocpStreamConnection&) = delete;

  // Makes `conn` keep itself alive, calls protocol->makeConnection() and
  // starts reading. Always OK today (kept a Status for symmetry with the
  // readiness transport).
  static absl::Status start(const std::shared_ptr<IocpStreamConnection>& conn);

  // Called after the protocol's connectionLost (clientConnectionLost).
  void setOnLost(absl::AnyInvocable<void(const Failure&)> onLost) {
    onLost_ = std::move(onLost);
  }

  // ---- Transport -------------------------------------------------------------
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  void loseConnection() override;
  void abortConnection() override;
  void loseWriteConnection() override;
  bool disconnecting() const override { return disconnecting_ || aborting_ || lost_; }
  Address getPeer() const override { return peer_; }
  Address getHost() const override { return host_; }
  absl::Status setTcpNoDelay(bool enabled) override;
  absl::Status setTcpKeepAlive(bool enabled) override;
  void setWriteBufferLimits(const WriteBufferLimits& limits) override {
    limits_ = limits;
  }
  // In-flight bytes count until their WSASend completes. Zero once the
  // connection is aborted or lost (the bytes are dropped).
  std::size_t writeBufferSize() const override {
    return aborting_ || lost_ ? 0 : buffer_.size();
  }

  void registerProducer(Producer* producer, bool streaming) override;
  void unregisterProducer() override;
  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override { loseConnection(); }

  // ---- For white-box tests -----------------------------------------------------
  // Operations started and not yet completed (queued in the port, or
  // finished inline and waiting for the next pass).
  int operationsInFlight() const { return inFlight_; }
  bool socketClosed() const { return socket_ == INVALID_SOCKET; }
  int fileno() const { return toFd(socket_); }

  // ---- CompletionOwner -------------------------------------------------------
  std::string logPrefix() const override;
  // A completion threw (dataReceived, readConnectionLost, a producer's
  // resumeProducing, ...): connectionLost with that reason.
  void completionFailed(std::exception_ptr error) override;

 private:
  void startRead();
  void readDone(std::uint32_t error, std::uint32_t bytes);
  void deliver(std::uint32_t error, std::uint32_t bytes);
  void startSend();
  void sendDone(std::uint32_t error, std::uint32_t bytes);
  void drained();
  void scheduleDrainCheck();
  void append(const std::string_view* pieces, std::size_t count);
  void closeSoon(LostReason reason);
  void connectionLost(const LostReason& reason);
  void onShutdown();

  Reactor& reactor_;
  SOCKET socket_;
  bool skipOnSuccess_;
  std::shared_ptr<Protocol> protocol_;
  std::shared_ptr<IocpStreamConnection> self_;  // alive until connectionLost
  absl::AnyInvocable<void(const Failure&)> onLost_;
  ShutdownHook shutdownHook_;
  Address host_;
  Address peer_;
  WriteBuffer buffer_;  // the front pieces are in flight while sending_
  WriteBufferLimits limits_;
  ProducerSlot producer_;
  std::unique_ptr<char[]> readBuffer_;

  int inFlight_ = 0;
  bool connected_ = false;
  bool reading_ = false;  // a WSARecv is outstanding
  bool sending_ = false;  // a WSASend is outstanding
  bool readPaused_ = false;
  // A receive that completed while paused: delivered on resume.
  bool held_ = false;
  std::uint32_t heldError_ = 0;
  std::uint32_t heldBytes_ = 0;
  bool readDisconnected_ = false;
  bool disconnecting_ = false;
  bool aborting_ = false;
  bool writeDisconnecting_ = false;
  bool writeDisconnected_ = false;
  bool drainCheckScheduled_ = false;
  bool closeScheduled_ = false;
  bool sendReset_ = false;
  bool lost_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_STREAM_CONNECTION_H_
