#include "net/stream_connection.h"

#include <memory>
#include <string>
#include <utility>

#include "base/log.h"
#include "core/errors.h"
#include "net/errors.h"
#include "net/read_buffer.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"

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
    : StreamTransport(reactor, std::move(protocol), kind), fd_(fd) {}

StreamConnection::~StreamConnection() {
  // Only reached without connectionLost when start() never ran or the
  // reactor was destroyed first: the reactor must not be touched here.
  if (fd_ >= 0) closeSocket(fd_);
}

absl::Status StreamConnection::beginIo() {
  if (absl::Status s = reactor_.addReader(this); !s.ok()) return s;
  reading_ = true;
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

void StreamConnection::send(const std::string_view* pieces, std::size_t count,
                            std::size_t total) {
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

  if (overHardLimit(total - sent)) return;
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
  return afterDrain();
}

// ---- Closing ---------------------------------------------------------------------

void StreamConnection::cancelIo() {
  stopReading();
  stopWriting();
  buffer_.clear();
}

void StreamConnection::closeIo() {
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
}

std::string StreamConnection::logPrefix() const {
  return std::string(kind_ == StreamKind::kTcp ? "TCP" : "UNIX") +
         "Connection(fd=" + std::to_string(fd_) + ")";
}

}  // namespace torsion::net::internal
