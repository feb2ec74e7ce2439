#include "net/iocp/iocp_stream_connection.h"

#include <ws2tcpip.h>

#include <optional>
#include <string>
#include <utility>

#include "core/errors.h"
#include "core/log.h"
#include "net/errors.h"
#include "net/socket_address.h"
#include "net/stream_lost.h"

namespace torsion::net::internal {
namespace {

// WSABUFs handed to one WSASend.
constexpr int kMaxPieces = 64;

}  // namespace

IocpStreamConnection::IocpStreamConnection(Reactor& reactor, SOCKET s,
                                           std::shared_ptr<Protocol> protocol,
                                           bool skipOnSuccess)
    : reactor_(reactor),
      socket_(s),
      skipOnSuccess_(skipOnSuccess),
      protocol_(std::move(protocol)) {}

IocpStreamConnection::~IocpStreamConnection() {
  // Reached with an open socket only when start() never ran or the reactor
  // went away first: no operation can be pending (each one holds us).
  if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
}

absl::Status IocpStreamConnection::start(
    const std::shared_ptr<IocpStreamConnection>& conn) {
  conn->host_ = localAddress(toFd(conn->socket_), "TCP");
  conn->peer_ = peerAddress(toFd(conn->socket_), "TCP");
  conn->self_ = conn;
  conn->connected_ = true;
  conn->shutdownHook_.arm(conn->reactor_,
                          [weak = std::weak_ptr<IocpStreamConnection>(conn)] {
                            if (auto c = weak.lock()) c->onShutdown();
                          });
  try {
    conn->protocol_->makeConnection(conn.get());
  } catch (...) {
    // A protocol that could not start is not trusted with the connection.
    log::err("net", conn->logPrefix() + ": unhandled error in connectionMade",
             std::current_exception());
    conn->abortConnection();
  }
  conn->startRead();
  return absl::OkStatus();
}

std::string IocpStreamConnection::logPrefix() const {
  return "TCPConnection(iocp, socket=" +
         (socket_ == INVALID_SOCKET ? std::string("closed")
                                    : std::to_string(toFd(socket_))) +
         ")";
}

// ---- Reading ---------------------------------------------------------------------

void IocpStreamConnection::startRead() {
  if (reading_ || lost_ || socket_ == INVALID_SOCKET || readPaused_ || held_ ||
      readDisconnected_ || disconnecting_ || aborting_) {
    return;
  }
  if (!readBuffer_) readBuffer_.reset(new char[kReadSize]);
  reading_ = true;
  ++inFlight_;
  startOperation(
      reactor_, skipOnSuccess_, *this,
      [self = shared_from_this()](std::uint32_t error, std::uint32_t bytes) {
        --self->inFlight_;
        self->readDone(error, bytes);
      },
      [this](OVERLAPPED* o, DWORD* bytes) {
        WSABUF b{static_cast<ULONG>(kReadSize), readBuffer_.get()};
        DWORD flags = 0;
        return WSARecv(socket_, &b, 1, bytes, &flags, o, nullptr) == 0
                   ? 0
                   : WSAGetLastError();
      });
}

void IocpStreamConnection::readDone(std::uint32_t error, std::uint32_t bytes) {
  reading_ = false;
  // After close every completion counts as aborted, whatever it carries.
  if (lost_ || socket_ == INVALID_SOCKET) return;
  if (readPaused_) {
    // Paused while the receive was out: keep its result (the bytes stay
    // in readBuffer_, which nothing else uses) until resumeProducing.
    held_ = true;
    heldError_ = error;
    heldBytes_ = bytes;
    return;
  }
  deliver(error, bytes);
}

void IocpStreamConnection::deliver(std::uint32_t error, std::uint32_t bytes) {
  // loseConnection()/abortConnection() stop reading, as on POSIX.
  if (lost_ || disconnecting_ || aborting_) return;
  if (error != 0) {
    connectionLost(lostFromError("WSARecv", error));
    return;
  }
  if (bytes == 0) {
    if (peerResetAtEof(socket_)) {
      connectionLost(lostFromError("WSARecv", WSAECONNRESET));
      return;
    }
    // The peer shut down its write side. Should readConnectionLost throw,
    // the completion policy disconnects with that reason.
    if (protocol_->halfCloseable()) {
      readDisconnected_ = true;
      protocol_->readConnectionLost();
      return;
    }
    connectionLost(std::make_exception_ptr(ConnectionDone()));
    return;
  }
  // A throw skips startRead: the completion policy disconnects us.
  protocol_->dataReceived(std::string_view(readBuffer_.get(), bytes));
  startRead();
}

void IocpStreamConnection::pauseProducing() { readPaused_ = true; }

void IocpStreamConnection::resumeProducing() {
  readPaused_ = false;
  if (!connected_ || lost_) return;
  if (held_) {
    // Never re-entrantly: the held result (maybe EOF) comes next pass.
    callSoonFor(reactor_, shared_from_this(), [self = shared_from_this()] {
      if (!self->held_ || self->readPaused_) return;
      self->held_ = false;
      self->deliver(self->heldError_, self->heldBytes_);
    });
    return;
  }
  startRead();
}

// ---- Writing ---------------------------------------------------------------------

void IocpStreamConnection::write(std::string_view data) { append(&data, 1); }

void IocpStreamConnection::writeSequence(std::span<const std::string_view> data) {
  append(data.data(), data.size());
}

void IocpStreamConnection::append(const std::string_view* pieces, std::size_t count) {
  // Still accepted after loseConnection(): a registered producer may
  // finish its data before the close (Twisted N8).
  if (!connected_ || lost_ || aborting_ || writeDisconnected_) return;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += pieces[i].size();
  if (total == 0) return;
  if (buffer_.size() + total > limits_.hardLimit) {
    LostReason why = hardLimitExceeded(logPrefix(), limits_.hardLimit);
    aborting_ = true;
    sendReset_ = true;
    closeSoon(std::move(why));
    return;
  }
  // Appending never moves bytes already in flight: WriteBuffer only fills
  // a chunk within the capacity it reserved, or starts a new one.
  for (std::size_t i = 0; i < count; ++i) buffer_.append(pieces[i]);
  startSend();
  producer_.bufferGrew(buffer_.size(), limits_);
}

void IocpStreamConnection::startSend() {
  bool tookInline = false;
  while (!sending_ && !buffer_.empty() && !lost_ && socket_ != INVALID_SOCKET) {
    IoVec pieces[kMaxPieces];
    const int n = buffer_.gather(pieces, kMaxPieces);
    sending_ = true;
    ++inFlight_;
    const std::optional<std::uint32_t> sent = startOperation(
        reactor_, skipOnSuccess_, *this,
        [self = shared_from_this()](std::uint32_t error, std::uint32_t bytes) {
          --self->inFlight_;
          self->sendDone(error, bytes);
        },
        [&](OVERLAPPED* o, DWORD* bytes) {
          // WSASend captures the WSABUF array before it returns; the
          // bytes themselves stay in buffer_ until the completion.
          return WSASend(socket_, pieces, static_cast<DWORD>(n), bytes, 0, o, nullptr) ==
                         0
                     ? 0
                     : WSAGetLastError();
        },
        /*takeInlineSuccess=*/true);
    if (!sent) return;  // in flight (or failed: sendDone reports it next pass)
    // The kernel took it at once (no packet comes): as the readiness
    // transport's direct send(), those bytes no longer count, so the
    // high-water mark is only reached once the kernel pushes back.
    --inFlight_;
    sending_ = false;
    buffer_.consume(*sent);
    tookInline = true;
  }
  // Drained without a completion: what sendDone would do next (resume a
  // producer, finish a close) happens on the next pass, never inside
  // write().
  if (tookInline && buffer_.empty() && !sending_ &&
      (producer_.registered() || disconnecting_ || writeDisconnecting_)) {
    scheduleDrainCheck();
  }
}

void IocpStreamConnection::sendDone(std::uint32_t error, std::uint32_t bytes) {
  sending_ = false;
  if (lost_ || socket_ == INVALID_SOCKET || aborting_) {
    // The bytes were in flight until now; they may go.
    buffer_.clear();
    return;
  }
  if (error != 0) {
    connectionLost(lostFromError("WSASend", error));
    return;
  }
  buffer_.consume(bytes);
  if (!buffer_.empty()) {
    startSend();
    producer_.bufferShrank(buffer_.size(), limits_);
    return;
  }
  drained();
}

void IocpStreamConnection::drained() {
  // The buffer is empty and nothing is in flight: what the readiness
  // transport's doWrite does then, in the same order.
  if (producer_.bufferEmptied()) {
    // The producer writes more; a pending close waits for it.
  } else if (disconnecting_) {
    connectionLost(std::make_exception_ptr(ConnectionDone()));
  } else if (writeDisconnecting_ && !writeDisconnected_) {
    writeDisconnected_ = true;
    ::shutdown(socket_, SD_SEND);
    if (protocol_->halfCloseable()) protocol_->writeConnectionLost();
  }
}

void IocpStreamConnection::scheduleDrainCheck() {
  // A send in flight ends in sendDone, which checks the same things.
  if (sending_ || !buffer_.empty() || drainCheckScheduled_) return;
  drainCheckScheduled_ = true;
  callSoonFor(reactor_, shared_from_this(), [self = shared_from_this()] {
    self->drainCheckScheduled_ = false;
    if (self->lost_ || self->aborting_ || self->sending_ || !self->buffer_.empty())
      return;
    self->drained();
  });
}

// ---- Closing ---------------------------------------------------------------------

void IocpStreamConnection::loseConnection() {
  if (!connected_ || lost_ || disconnecting_ || aborting_) return;
  disconnecting_ = true;
  scheduleDrainCheck();
}

void IocpStreamConnection::loseWriteConnection() {
  if (!connected_ || lost_ || aborting_ || writeDisconnecting_) return;
  writeDisconnecting_ = true;
  scheduleDrainCheck();
}

void IocpStreamConnection::abortConnection() {
  if (!connected_ || lost_ || aborting_) return;
  aborting_ = true;
  sendReset_ = true;
  closeSoon(std::make_exception_ptr(ConnectionAborted()));
}

void IocpStreamConnection::closeSoon(LostReason reason) {
  if (closeScheduled_) return;
  closeScheduled_ = true;
  reactor_.callSoon([self = shared_from_this(), reason = std::move(reason)] {
    self->connectionLost(reason);
  });
}

void IocpStreamConnection::completionFailed(std::exception_ptr error) {
  connectionLost(error);
}

void IocpStreamConnection::onShutdown() {
  shutdownHook_.fired();
  connectionLost(std::make_exception_ptr(ConnectionLost()));
}

void IocpStreamConnection::connectionLost(const LostReason& reason) {
  if (lost_) return;
  lost_ = true;
  // Released when this returns; pending operations still hold us.
  std::shared_ptr<IocpStreamConnection> keep = std::move(self_);
  shutdownHook_.disarm();
  cancelAndClose(socket_, sendReset_);
  // Bytes of a send in flight stay until its (aborted) completion.
  if (!sending_) buffer_.clear();
  held_ = false;
  connected_ = false;
  producer_.connectionLost(logPrefix());
  notifyConnectionLost(logPrefix(), reason, readDisconnected_ && writeDisconnected_,
                       std::move(protocol_), std::move(onLost_));
  onLost_ = nullptr;
}

// ---- Producer registration ------------------------------------------------------

void IocpStreamConnection::registerProducer(Producer* producer, bool streaming) {
  producer_.registerProducer(producer, streaming, connected_ && !lost_);
}

void IocpStreamConnection::unregisterProducer() {
  producer_.unregisterProducer();
  // A loseConnection() that waited for the producer can finish now.
  if (connected_ && !lost_ && disconnecting_ && !aborting_) scheduleDrainCheck();
}

// ---- Options ---------------------------------------------------------------------

absl::Status IocpStreamConnection::setTcpNoDelay(bool enabled) {
  if (socket_ == INVALID_SOCKET)
    return absl::FailedPreconditionError("setTcpNoDelay: connection is closed");
  BOOL on = enabled ? TRUE : FALSE;
  if (::setsockopt(socket_, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on),
                   sizeof on) != 0) {
    return absl::UnknownError(
        "setsockopt(TCP_NODELAY, socket=" + std::to_string(toFd(socket_)) +
        "): " + winErrorText(WSAGetLastError()));
  }
  return absl::OkStatus();
}

absl::Status IocpStreamConnection::setTcpKeepAlive(bool enabled) {
  if (socket_ == INVALID_SOCKET)
    return absl::FailedPreconditionError("setTcpKeepAlive: connection is closed");
  BOOL on = enabled ? TRUE : FALSE;
  if (::setsockopt(socket_, SOL_SOCKET, SO_KEEPALIVE, reinterpret_cast<const char*>(&on),
                   sizeof on) != 0) {
    return absl::UnknownError(
        "setsockopt(SO_KEEPALIVE, socket=" + std::to_string(toFd(socket_)) +
        "): " + winErrorText(WSAGetLastError()));
  }
  return absl::OkStatus();
}

}  // namespace torsion::net::internal
