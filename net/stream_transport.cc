#include "net/stream_transport.h"

#include <string>
#include <utility>

#include "base/log.h"
#include "core/errors.h"
#include "net/errors.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/stream_lost.h"

namespace torsion::net::internal {

std::shared_ptr<Protocol> buildServerProtocol(Factory& factory, const Address& peer,
                                              const std::string& logPrefix) {
  try {
    return factory.buildProtocol(peer);
  } catch (...) {
    log::err("net", logPrefix + ": unhandled error in buildProtocol",
             std::current_exception());
    return nullptr;
  }
}

StreamTransport::StreamTransport(Reactor& reactor, std::shared_ptr<Protocol> protocol,
                                 StreamKind kind)
    : reactor_(reactor), kind_(kind), protocol_(std::move(protocol)) {}

absl::Status StreamTransport::start(const std::shared_ptr<StreamTransport>& t) {
  const char* type = t->kind_ == StreamKind::kTcp ? "TCP" : "";
  t->host_ = localAddress(t->socketFd(), type);
  t->peer_ = peerAddress(t->socketFd(), type);
  if (absl::Status status = t->beginIo(); !status.ok()) {
    t->closeIo();
    t->lost_ = true;
    t->protocol_.reset();
    return status;
  }
  t->connected_ = true;
  t->self_ = t;
  try {
    t->protocol_->makeConnection(t.get());
  } catch (...) {
    // A protocol that could not start is not trusted with the connection.
    log::err("net", t->logPrefix() + ": unhandled error in connectionMade",
             std::current_exception());
    t->abortConnection();
  }
  t->afterConnectionMade();
  return absl::OkStatus();
}

// ---- Reading ---------------------------------------------------------------------

void StreamTransport::pauseProducing() {
  readPaused_ = true;
  stopReading();
}

void StreamTransport::resumeProducing() {
  readPaused_ = false;
  if (connected_ && !lost_ && !disconnecting_ && !aborting_ && !readDisconnected_) {
    resumeReading();
  }
}

// ---- Writing ---------------------------------------------------------------------

void StreamTransport::writePieces(const std::string_view* pieces, std::size_t count) {
  // Still accepted after loseConnection(): a registered producer may
  // finish its data before the close (Twisted N8).
  if (!connected_ || lost_ || aborting_ || writeDisconnected_) return;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += pieces[i].size();
  if (total == 0) return;
  send(pieces, count, total);
}

bool StreamTransport::overHardLimit(std::size_t more) {
  if (buffer_.size() + more <= limits_.hardLimit) return false;
  abortWith(hardLimitExceeded(logPrefix(), limits_.hardLimit));
  return true;
}

LostReason StreamTransport::afterDrain() {
  if (producer_.bufferEmptied()) {
    // The producer writes more; a pending close waits for it.
  } else if (disconnecting_) {
    return std::make_exception_ptr(ConnectionDone());
  } else if (writeDisconnecting_ && !writeDisconnected_) {
    writeDisconnected_ = true;
    shutdownWriteSide();
    if (halfCloseableProtocol()) protocol_->writeConnectionLost();
  }
  return nullptr;
}

// ---- Closing ---------------------------------------------------------------------

void StreamTransport::loseConnection() {
  if (!connected_ || lost_ || disconnecting_ || aborting_) return;
  disconnecting_ = true;
  stopReading();
  drainThenCheck();
}

void StreamTransport::loseWriteConnection() {
  if (!connected_ || lost_ || aborting_ || writeDisconnecting_) return;
  writeDisconnecting_ = true;
  drainThenCheck();
}

void StreamTransport::abortConnection() {
  if (!connected_ || lost_ || aborting_) return;
  abortWith(std::make_exception_ptr(ConnectionAborted()));
}

void StreamTransport::abortWith(LostReason why) {
  aborting_ = true;
  sendReset_ = true;
  cancelIo();
  closeSoon(std::move(why));
}

void StreamTransport::closeSoon(LostReason reason) {
  if (closeScheduled_) return;
  closeScheduled_ = true;
  reactor_.callSoon([self = shared_from_this(), reason = std::move(reason)] {
    self->closeNow(reason);
  });
}

void StreamTransport::closeNow(const LostReason& reason) {
  if (lost_) return;
  lost_ = true;
  // Released when this function returns: the reactor is done with us
  // (operations still in flight hold their own references).
  std::shared_ptr<StreamTransport> keep = std::move(self_);
  closeIo();
  connected_ = false;
  producer_.connectionLost(logPrefix());
  notifyConnectionLost(logPrefix(), reason, readDisconnected_ && writeDisconnected_,
                       std::move(protocol_), std::move(onLost_));
  onLost_ = nullptr;
}

// ---- Producer registration ------------------------------------------------------

void StreamTransport::registerProducer(Producer* producer, bool streaming) {
  producer_.registerProducer(producer, streaming, connected_ && !lost_);
}

void StreamTransport::unregisterProducer() {
  producer_.unregisterProducer();
  // A loseConnection() that waited for the producer can finish now (but
  // never re-register a connection that is already gone).
  if (connected_ && !lost_ && disconnecting_ && !aborting_) drainThenCheck();
}

// ---- Options ---------------------------------------------------------------------

absl::Status StreamTransport::setTcpNoDelay(bool enabled) {
  return setOption("setTcpNoDelay", "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, enabled);
}

absl::Status StreamTransport::setTcpKeepAlive(bool enabled) {
  return setOption("setTcpKeepAlive", "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, enabled);
}

absl::Status StreamTransport::setOption(const char* call, const char* name, int level,
                                        int option, bool enabled) {
  if (kind_ != StreamKind::kTcp) {
    return absl::FailedPreconditionError(std::string(call) + ": not a TCP connection");
  }
  const int fd = socketFd();
  if (fd < 0) {
    return absl::FailedPreconditionError(std::string(call) + ": connection is closed");
  }
  int on = enabled ? 1 : 0;
  if (::setsockopt(fd, level, option, reinterpret_cast<const char*>(&on), sizeof on) !=
      0) {
    return socketErrorStatus(lastSocketError(), std::string("setsockopt(") + name +
                                                    ", fd=" + std::to_string(fd) + ")");
  }
  return absl::OkStatus();
}

}  // namespace torsion::net::internal
