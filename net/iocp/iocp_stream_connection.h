// torsion/net/iocp/iocp_stream_connection.h: a connected TCP socket as a
// completion-driven Transport (internal).
//
// Mirrors twisted.internet.iocpreactor.tcp.Connection on top of
// abstract.FileHandle: one overlapped WSARecv outstanding at a time (none
// while the transport is paused), one overlapped WSASend of the write
// buffer's front pieces. The state, write buffer, producers and close
// semantics are StreamTransport's (net/stream_transport.h), shared with the
// readiness connection, which defines the observable behaviour.
//
// Closing: CancelIoEx + closesocket (SO_LINGER {1,0} first for an abort);
// every completion that arrives after that is treated as aborted. Each
// queued operation holds a shared_ptr to the connection, so the object (its
// read buffer, the bytes of a send in flight) outlives every operation it
// started. An exception from the protocol inside a completion disconnects
// with that reason (core/completion_dispatch.h).
//
//   auto conn = std::make_shared<internal::IocpStreamConnection>(
//       reactor, socket, protocol, skipOnSuccess);
//   absl::Status s = internal::StreamTransport::start(conn);
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

#include "absl/status/status.h"
#include "backends/completion_port.h"
#include "core/reactor.h"
#include "net/completion_stream_transport.h"
#include "net/iocp/iocp_support.h"
#include "net/protocol.h"

namespace torsion::net::internal {

class IocpStreamConnection final : public CompletionStreamTransport {
 public:
  // Bytes asked of one WSARecv (the connection's own buffer: a pending
  // receive needs memory that no other connection touches).
  static constexpr std::size_t kReadSize = 64 * 1024;

  // Takes ownership of `s`, a connected socket already associated with the
  // reactor's port (associateSocket; `skipOnSuccess` is what it returned).
  IocpStreamConnection(Reactor& reactor, SOCKET s, std::shared_ptr<Protocol> protocol,
                       bool skipOnSuccess);
  ~IocpStreamConnection() override;

  // ---- CompletionOwner (and StreamTransport) -----------------------------------
  std::string logPrefix() const override;

  // ---- For white-box tests -----------------------------------------------------
  // Operations started and not yet completed (queued in the port, or
  // finished inline and waiting for the next pass).
  int operationsInFlight() const { return inFlight_; }
  bool socketClosed() const { return socket_ == INVALID_SOCKET; }
  int fileno() const { return socketFd(); }

 private:
  // ---- StreamTransport ---------------------------------------------------------
  int socketFd() const override { return socket_ == INVALID_SOCKET ? -1 : toFd(socket_); }
  absl::Status beginIo() override;
  void afterConnectionMade() override { startRead(); }
  void resumeReading() override;
  // A receive in flight cannot be taken back: startRead() starts no other
  // and readDone() holds what it brings.
  void stopReading() override {}
  // Closing the socket (closeIo) cancels what is in flight.
  void cancelIo() override {}
  void closeIo() override;
  void shutdownWriteSide() override { ::shutdown(socket_, SD_SEND); }

  std::shared_ptr<IocpStreamConnection> shared() {
    return std::static_pointer_cast<IocpStreamConnection>(shared_from_this());
  }
  void startRead();
  void readDone(std::uint32_t error, std::uint32_t bytes);
  void deliver(std::uint32_t error, std::uint32_t bytes);
  void startSend() override;
  void sendDone(std::uint32_t error, std::uint32_t bytes);

  SOCKET socket_;
  bool skipOnSuccess_;
  ShutdownHook shutdownHook_;
  std::unique_ptr<char[]> readBuffer_;

  int inFlight_ = 0;
  bool reading_ = false;  // a WSARecv is outstanding
  // A receive that completed while paused: delivered on resume.
  bool held_ = false;
  std::uint32_t heldError_ = 0;
  std::uint32_t heldBytes_ = 0;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_STREAM_CONNECTION_H_
