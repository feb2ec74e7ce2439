#include "net/stream_connection.h"

#include <memory>
#include <string>
#include <utility>

#include "core/errors.h"
#include "base/log.h"
#include "net/errors.h"
#include "net/read_buffer.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/stream_lost.h"

namespace torsion::net::internal {
namespace {

constexpr int kMaxIov = 64;

LostReason lostFromErrno(const char* call, int e) {
  return std::make_exception_ptr(
      ConnectionLost("ConnectionLost: " + std::string(call) + ": " + socketErrorText(e)));
}

}  // namespace

StreamConnection::StreamConnection(Reactor& reactor, int fd,
                                   std::shared_ptr<Protocol> protocol, StreamKind kind)
    : reactor_(reactor), fd_(fd), kind_(kind), protocol_(std::move(protocol)) {}

StreamConnection::~StreamConnection() {
  // Only reached without connectionLost when start() never ran or the
  // reactor was destroyed first: the reactor must not be touched here.
  if (fd_ >= 0) closeSocket(fd_);
}

absl::Status StreamConnection::start(const std::shared_ptr<StreamConnection>& conn) {
  const char* type = conn->kind_ == StreamKind::kTcp ? "TCP" : "";
  conn->host_ = localAddress(conn->fd_, type);
  conn->peer_ = peerAddress(conn->fd_, type);
  absl::Status status = conn->reactor_.addReader(conn.get());
  if (!status.ok()) {
    closeSocket(conn->fd_);
    conn->fd_ = -1;
    conn->lost_ = true;
    conn->protocol_.reset();
    return status;
  }
  conn->reading_ = true;
  conn->connected_ = true;
  conn->self_ = conn;
  try {
    conn->protocol_->makeConnection(conn.get());
  } catch (...) {
    // A protocol that could not start is not trusted with the connection.
    log::err("net", conn->logPrefix() + ": unhandled error in connectionMade",
             std::current_exception());
    conn->abortConnection();
  }
  return absl::OkStatus();
}

// ---- Reading ---------------------------------------------------------------------

void StreamConnection::startReading() {
  if (reading_ || fd_ < 0) return;
  absl::Status s = reactor_.addReader(this);
  if (!s.ok()) {
    log::err("net", logPrefix() + ": cannot resume reading: " + std::string(s.message()));
    return;
  }
  reading_ = true;
}

void StreamConnection::stopReading() {
  if (!reading_) return;
  reading_ = false;
  reactor_.removeReader(this);
}

LostReason StreamConnection::doRead() {
  const std::span<char> buffer = readBuffer();
  char* buf = buffer.data();
  const long n = ::recv(fd_, buf, static_cast<int>(buffer.size()), 0);
  if (n > 0) {
    protocol_->dataReceived(std::string_view(buf, static_cast<std::size_t>(n)));
    return nullptr;
  }
  if (n == 0) {
    if (peerResetAtEof(fd_)) return lostFromErrno("recv", kConnectionReset);
    return std::make_exception_ptr(ConnectionDone());
  }
  const int e = lastSocketError();
  if (isWouldBlock(e)) return nullptr;
  return lostFromErrno("recv", e);
}

bool StreamConnection::halfCloseable() const {
  return protocol_ != nullptr && protocol_->halfCloseable();
}

void StreamConnection::readConnectionLost(const LostReason& reason) {
  // The dispatcher removed us as reader: the peer shut down its write side.
  reading_ = false;
  readDisconnected_ = true;
  try {
    protocol_->readConnectionLost();
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in readConnectionLost",
             std::current_exception());
    connectionLost(std::current_exception());
    return;
  }
  (void)reason;
}

void StreamConnection::pauseProducing() {
  readPaused_ = true;
  stopReading();
}

void StreamConnection::resumeProducing() {
  readPaused_ = false;
  if (connected_ && !lost_ && !disconnecting_ && !aborting_ && !readDisconnected_) {
    startReading();
  }
}

// ---- Writing ---------------------------------------------------------------------

void StreamConnection::startWriting() {
  if (writing_ || fd_ < 0) return;
  absl::Status s = reactor_.addWriter(this);
  if (!s.ok()) {
    log::err("net", logPrefix() + ": cannot start writing: " + std::string(s.message()));
    return;
  }
  writing_ = true;
}

void StreamConnection::stopWriting() {
  if (!writing_) return;
  writing_ = false;
  reactor_.removeWriter(this);
}

void StreamConnection::write(std::string_view data) { sendNow(&data, 1); }

void StreamConnection::writeSequence(std::span<const std::string_view> data) {
  sendNow(data.data(), data.size());
}

void StreamConnection::sendNow(const std::string_view* pieces, std::size_t count) {
  // Still accepted after loseConnection(): a registered producer may
  // finish its data before the close (Twisted N8).
  if (!connected_ || lost_ || aborting_ || writeDisconnected_) return;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += pieces[i].size();
  if (total == 0) return;

  std::size_t sent = 0;
  // The fast path: nothing queued, so the kernel may take it all at once;
  // only a backlog makes us wait for writability.
  if (buffer_.empty() && !writing_ && writeError_ == 0 &&
      count <= static_cast<std::size_t>(kMaxIov)) {
    IoVec iov[kMaxIov];
    for (std::size_t i = 0; i < count; ++i) {
      setIoVec(iov[i], pieces[i].data(), pieces[i].size());
    }
    std::ptrdiff_t n;
    int e = 0;
    do {
      n = sendIoVec(fd_, iov, static_cast<int>(count));
      e = n < 0 ? lastSocketError() : 0;
    } while (n < 0 && e == kInterrupted);
    if (n >= 0) {
      sent = static_cast<std::size_t>(n);
    } else if (!isWouldBlock(e)) {
      // Reported from doWrite: connectionLost must not run inside write().
      writeError_ = e;
      startWriting();
      return;
    }
    if (sent == total) {
      // A pull producer is asked for more when the buffer drains; that
      // is doWrite's job, so let it run once even though nothing waits.
      if (producer_.pull()) startWriting();
      return;
    }
  }

  if (buffer_.size() + (total - sent) > limits_.hardLimit) {
    LostReason why = hardLimitExceeded(logPrefix(), limits_.hardLimit);
    aborting_ = true;
    sendReset_ = true;
    stopReading();
    stopWriting();
    buffer_.clear();
    closeSoon(std::move(why));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view p = pieces[i];
    if (sent >= p.size()) {
      sent -= p.size();
      continue;
    }
    buffer_.append(p.substr(sent));
    sent = 0;
  }
  startWriting();
  producer_.bufferGrew(buffer_.size(), limits_);
}

bool StreamConnection::flush() {
  while (!buffer_.empty()) {
    IoVec iov[kMaxIov];
    const int n = buffer_.gather(iov, kMaxIov);
    std::size_t offered = 0;
    for (int i = 0; i < n; ++i) offered += ioVecSize(iov[i]);
    const std::ptrdiff_t s = sendIoVec(fd_, iov, n);
    if (s < 0) {
      const int e = lastSocketError();
      if (e == kInterrupted) continue;
      if (isWouldBlock(e)) return true;
      writeError_ = e;
      return false;
    }
    buffer_.consume(static_cast<std::size_t>(s));
    if (static_cast<std::size_t>(s) < offered) return true;  // kernel is full
  }
  return true;
}

LostReason StreamConnection::doWrite() {
  if (writeError_ != 0 || !flush()) return lostFromErrno("sendmsg", writeError_);
  if (!buffer_.empty()) {
    producer_.bufferShrank(buffer_.size(), limits_);
    return nullptr;
  }
  // Drained (Twisted's FileDescriptor.doWrite, in the same order).
  stopWriting();
  if (producer_.bufferEmptied()) {
    // The producer writes more; a pending close waits for it.
  } else if (disconnecting_) {
    return std::make_exception_ptr(ConnectionDone());
  } else if (writeDisconnecting_ && !writeDisconnected_) {
    writeDisconnected_ = true;
    shutdownWrite(fd_);
    if (halfCloseable()) protocol_->writeConnectionLost();
  }
  return nullptr;
}

// ---- Closing ---------------------------------------------------------------------

void StreamConnection::loseConnection() {
  if (!connected_ || lost_ || disconnecting_ || aborting_) return;
  disconnecting_ = true;
  stopReading();
  // doWrite sees the drained buffer (maybe at once) and closes.
  startWriting();
}

void StreamConnection::loseWriteConnection() {
  if (!connected_ || lost_ || aborting_ || writeDisconnecting_) return;
  writeDisconnecting_ = true;
  startWriting();
}

void StreamConnection::abortConnection() {
  if (!connected_ || lost_ || aborting_) return;
  aborting_ = true;
  sendReset_ = true;
  stopReading();
  stopWriting();
  buffer_.clear();
  closeSoon(std::make_exception_ptr(ConnectionAborted()));
}

void StreamConnection::closeSoon(LostReason reason) {
  reactor_.callSoon([self = shared_from_this(), reason = std::move(reason)] {
    self->connectionLost(reason);
  });
}

void StreamConnection::connectionLost(const LostReason& reason) {
  if (lost_) return;
  lost_ = true;
  // Released when this function returns: the reactor is done with us.
  std::shared_ptr<StreamConnection> keep = std::move(self_);
  stopReading();
  stopWriting();
  if (fd_ >= 0) {
    if (sendReset_) {
      // SO_LINGER {on, 0}: close() sends RST and drops unsent data.
      linger l{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l),
                   sizeof l);
    }
    closeSocket(fd_);
    fd_ = -1;
  }
  buffer_.clear();
  connected_ = false;
  producer_.connectionLost(logPrefix());
  notifyConnectionLost(logPrefix(), reason, readDisconnected_ && writeDisconnected_,
                       std::move(protocol_), std::move(onLost_));
  onLost_ = nullptr;
}

// ---- Producer registration ------------------------------------------------------

void StreamConnection::registerProducer(Producer* producer, bool streaming) {
  producer_.registerProducer(producer, streaming, connected_ && !lost_);
}

void StreamConnection::unregisterProducer() {
  producer_.unregisterProducer();
  // A loseConnection() that waited for the producer can finish now (but
  // never re-register a connection that is already gone).
  if (connected_ && !lost_ && disconnecting_ && !aborting_) startWriting();
}

// ---- Options ---------------------------------------------------------------------

absl::Status StreamConnection::setTcpNoDelay(bool enabled) {
  if (kind_ != StreamKind::kTcp) {
    return absl::FailedPreconditionError("setTcpNoDelay: not a TCP connection");
  }
  if (fd_ < 0)
    return absl::FailedPreconditionError("setTcpNoDelay: connection is closed");
  int on = enabled ? 1 : 0;
  if (::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on),
                   sizeof on) != 0) {
    return socketErrorStatus(lastSocketError(),
                             "setsockopt(TCP_NODELAY, fd=" + std::to_string(fd_) + ")");
  }
  return absl::OkStatus();
}

absl::Status StreamConnection::setTcpKeepAlive(bool enabled) {
  if (kind_ != StreamKind::kTcp) {
    return absl::FailedPreconditionError("setTcpKeepAlive: not a TCP connection");
  }
  if (fd_ < 0)
    return absl::FailedPreconditionError("setTcpKeepAlive: connection is closed");
  int on = enabled ? 1 : 0;
  if (::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, reinterpret_cast<const char*>(&on),
                   sizeof on) != 0) {
    return socketErrorStatus(lastSocketError(),
                             "setsockopt(SO_KEEPALIVE, fd=" + std::to_string(fd_) + ")");
  }
  return absl::OkStatus();
}

std::string StreamConnection::logPrefix() const {
  return std::string(kind_ == StreamKind::kTcp ? "TCP" : "UNIX") +
         "Connection(fd=" + std::to_string(fd_) + ")";
}

}  // namespace torsion::net::internal
