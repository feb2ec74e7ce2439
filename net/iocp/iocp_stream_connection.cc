#include "net/iocp/iocp_stream_connection.h"

#include <ws2tcpip.h>

#include <optional>
#include <string>
#include <utility>

#include "core/errors.h"
#include "net/errors.h"
#include "net/socket_address.h"

namespace torsion::net::internal {
namespace {

// WSABUFs handed to one WSASend.
constexpr int kMaxPieces = 64;

}  // namespace

IocpStreamConnection::IocpStreamConnection(Reactor& reactor, SOCKET s,
                                           std::shared_ptr<Protocol> protocol,
                                           bool skipOnSuccess)
    : CompletionStreamTransport(reactor, std::move(protocol), StreamKind::kTcp),
      socket_(s),
      skipOnSuccess_(skipOnSuccess) {}

IocpStreamConnection::~IocpStreamConnection() {
  // Reached with an open socket only when start() never ran or the reactor
  // went away first: no operation can be pending (each one holds us).
  if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
}

absl::Status IocpStreamConnection::beginIo() {
  shutdownHook_.arm(reactor_, [weak = std::weak_ptr<IocpStreamConnection>(shared())] {
    if (auto c = weak.lock()) {
      c->shutdownHook_.fired();
      c->closeNow(std::make_exception_ptr(ConnectionLost()));
    }
  });
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
      [self = shared()](std::uint32_t error, std::uint32_t bytes) {
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
    closeNow(lostFromError("WSARecv", error));
    return;
  }
  if (bytes == 0) {
    if (peerResetAtEof(socket_)) {
      closeNow(lostFromError("WSARecv", WSAECONNRESET));
      return;
    }
    peerFinishedWriting();
    return;
  }
  // A throw skips startRead: the completion policy disconnects us.
  protocol_->dataReceived(std::string_view(readBuffer_.get(), bytes));
  startRead();
}

void IocpStreamConnection::resumeReading() {
  if (held_) {
    // Never re-entrantly: the held result (maybe EOF) comes next pass.
    callSoonFor(reactor_, shared(), [self = shared()] {
      if (!self->held_ || self->readPaused_) return;
      self->held_ = false;
      self->deliver(self->heldError_, self->heldBytes_);
    });
    return;
  }
  startRead();
}

// ---- Writing ---------------------------------------------------------------------

void IocpStreamConnection::startSend() {
  bool tookInline = false;
  while (!sending_ && !buffer_.empty() && !lost_ && socket_ != INVALID_SOCKET) {
    IoVec pieces[kMaxPieces];
    const int n = buffer_.gather(pieces, kMaxPieces);
    sending_ = true;
    ++inFlight_;
    const std::optional<std::uint32_t> sent = startOperation(
        reactor_, skipOnSuccess_, *this,
        [self = shared()](std::uint32_t error, std::uint32_t bytes) {
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
    closeNow(lostFromError("WSASend", error));
    return;
  }
  sendSucceeded(bytes);
}

// ---- Closing ---------------------------------------------------------------------

void IocpStreamConnection::closeIo() {
  shutdownHook_.disarm();
  cancelAndClose(socket_, sendReset_);
  // Bytes of a send in flight stay until its (aborted) completion.
  if (!sending_) buffer_.clear();
  held_ = false;
}

}  // namespace torsion::net::internal
