#include "net/stream_port.h"

#ifndef _WIN32
#include <unistd.h>
#endif

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/stream_connection_for.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {
namespace {

// Twisted's Port.numberAccepts: bounded so one busy port cannot starve the
// other descriptors of a pass.
constexpr int kMaxAcceptsPerRead = 100;
constexpr double kFirstRetryDelay = 0.01;
constexpr double kMaxRetryDelay = 1.0;

}  // namespace

StreamPort::StreamPort(Reactor& reactor, int fd, std::shared_ptr<Factory> factory,
                       StreamKind kind, std::string unlinkPath,
                       std::shared_ptr<void> releaseAfterUnlink)
    : reactor_(reactor),
      fd_(fd),
      factory_(std::move(factory)),
      kind_(kind),
      unlinkPath_(std::move(unlinkPath)),
      releaseAfterUnlink_(std::move(releaseAfterUnlink)) {}

StreamPort::~StreamPort() {
  if (fd_ >= 0) closeSocket(fd_);
}

absl::Status StreamPort::start(const std::shared_ptr<StreamPort>& port) {
  port->host_ = localAddress(port->fd_, port->kind_ == StreamKind::kTcp ? "TCP" : "");
  if (port->kind_ == StreamKind::kUnix)
    port->host_ = Address::unixSocket(port->unlinkPath_);
  absl::Status s = port->reactor_.addReader(port.get());
  if (!s.ok()) {
    port->stopped_ = true;
    port->close();
    return s;
  }
  port->listening_ = true;
  port->self_ = port;
  port->factory_->doStart();
  return absl::OkStatus();
}

LostReason StreamPort::doRead() {
  const char* type = kind_ == StreamKind::kTcp ? "TCP" : "";
  for (int i = 0; i < kMaxAcceptsPerRead && listening_; ++i) {
    SockAddr peer;
    peer.len = sizeof peer.storage;
    const int fd = acceptSocket(fd_, peer.get(), &peer.len);
    if (fd < 0) {
      const int e = lastSocketError();
      if (isTransientAcceptError(e)) continue;
      if (isWouldBlock(e)) break;
      if (isOutOfResources(e)) {
        pauseAccepting(e);
        break;
      }
      log::err("net", logPrefix() + ": accept: " + socketErrorText(e));
      break;
    }
    retryDelay_ = 0;
    Address peerAddress = kind_ == StreamKind::kTcp
                              ? toAddress(peer.get(), peer.len, type)
                              : Address::unixSocket("");
    std::shared_ptr<Protocol> protocol =
        buildServerProtocol(*factory_, peerAddress, logPrefix());
    if (!protocol) {
      // Refused (Twisted N1): close gracefully.
      closeSocket(fd);
      continue;
    }
    std::shared_ptr<StreamTransport> conn =
        streamConnectionFor(reactor_, fd, std::move(protocol), kind_);
    absl::Status s = StreamTransport::start(conn);
    if (!s.ok()) {
      log::err("net", logPrefix() +
                          ": cannot serve a new connection: " + std::string(s.message()));
    }
  }
  return nullptr;
}

void StreamPort::pauseAccepting(int error) {
  // Out of descriptors: accept() would fail at once again, and a readable
  // listening socket would make every poll return: a busy loop. Stop
  // watching it and look again later; the connections we have go on.
  retryDelay_ =
      retryDelay_ == 0 ? kFirstRetryDelay : std::min(retryDelay_ * 2, kMaxRetryDelay);
  log::warn("net", logPrefix() + ": accept: " + socketErrorText(error) +
                       "; not accepting for " + std::to_string(retryDelay_) + " s");
  reactor_.removeReader(this);
  retry_ = reactor_.callLater(Seconds(retryDelay_), [this] {
    if (!listening_) return;
    absl::Status s = reactor_.addReader(this);
    if (!s.ok())
      log::err("net",
               logPrefix() + ": cannot resume accepting: " + std::string(s.message()));
  });
}

Deferred<void> StreamPort::stopListening() {
  if (stopped_) return succeed();
  stopped_ = true;
  // Close now, so the address can be bound again at once; tell the factory
  // and the caller on the next pass, as Twisted does (never re-entrantly).
  close();
  Deferred<void> done;
  reactor_.callSoon([self = shared_from_this(), done]() mutable {
    std::shared_ptr<StreamPort> keep = std::move(self->self_);
    self->factory_->doStop();
    done.callback();
  });
  return done;
}

void StreamPort::connectionLost(const LostReason& reason) {
  // Reactor shutdown (disconnectAll) or a descriptor that went away.
  (void)reason;
  if (stopped_) return;
  stopped_ = true;
  std::shared_ptr<StreamPort> keep = std::move(self_);
  close();
  factory_->doStop();
}

void StreamPort::close() {
  listening_ = false;
  if (retry_.active()) retry_.cancel();
  retry_ = DelayedCall();
  if (fd_ < 0) return;
  reactor_.removeReader(this);
  closeSocket(fd_);
  fd_ = -1;
#ifndef _WIN32
  if (!unlinkPath_.empty()) ::unlink(unlinkPath_.c_str());
#endif
  releaseAfterUnlink_.reset();
}

std::string StreamPort::logPrefix() const {
  return std::string(kind_ == StreamKind::kTcp ? "TCP" : "UNIX") + "Port(" +
         describe(host_) + ")";
}

}  // namespace torsion::net::internal
