#include "net/stream_connector.h"

#include <optional>
#include <string>
#include <utility>

#include "net/errors.h"
#ifndef _WIN32
#include "net/filesystem_lock.h"
#endif
#include "net/resolve.h"
#include "net/socket_ops.h"
#include "net/stream_connection_for.h"

namespace torsion::net::internal {
namespace {

// connectUNIX(checkPID), as twisted.internet.unix.Client checks it: unless a
// live process holds the server's lock, the socket file is a leftover.
std::optional<Failure> checkPIDFailure(const ConnectTarget& target) {
#ifdef _WIN32
  (void)target;  // Unix sockets never get this far on Windows
  return std::nullopt;
#else
  if (!target.checkPID) return std::nullopt;
  const std::string lockName = target.path + ".lock";
  absl::StatusOr<bool> held = isLocked(lockName);
  if (held.ok() && *held) return std::nullopt;
  return Failure(BadFileError("BadFileError: " + target.path + ": " +
                              (held.ok() ? "no live process holds " + lockName
                                         : std::string(held.status().message()))));
#endif
}

}  // namespace

StreamConnector::StreamConnector(Reactor& reactor, ConnectTarget target,
                                 std::shared_ptr<ClientFactory> factory,
                                 std::optional<Seconds> timeout)
    : ConnectorBase(reactor, std::move(factory), timeout), target_(std::move(target)) {}

StreamConnector::~StreamConnector() {
  // Reached with an open socket only if the reactor went away first.
  if (socket_ >= 0) internal::closeSocket(socket_);
}

Address StreamConnector::getDestination() const {
  if (target_.kind == StreamKind::kUnix) return Address::unixSocket(target_.path);
  if (target_.host.find(':') != std::string::npos) {
    return Address::ipv6("TCP", target_.host, target_.port);
  }
  return Address::ipv4("TCP", target_.host, target_.port);
}

std::string StreamConnector::logPrefix() const {
  return "Connector(" + describe(getDestination()) + ")";
}

void StreamConnector::startAttempt(std::uint64_t id) {
  if (target_.kind == StreamKind::kUnix) {
    absl::StatusOr<SockAddr> a = unixPath(target_.path);
    reactor_.callSoon([self = shared_from_this(), this, id, a = std::move(a)] {
      if (!current(id)) return;
      if (!a.ok()) {
        fail(Failure(ConnectError("ConnectError: " + std::string(a.status().message()))));
      } else if (std::optional<Failure> bad = checkPIDFailure(target_); bad) {
        fail(*bad);
      } else {
        attempt(*a, id);
      }
    });
    return;
  }
  resolveThenAttempt(id, target_.host, target_.port);
}

void StreamConnector::attempt(const SockAddr& address, std::uint64_t) {
  socket_ = openSocket(address.family(), SOCK_STREAM);
  if (socket_ < 0) {
    fail(Failure(
        ConnectError("ConnectError: socket(): " + socketErrorText(lastSocketError()))));
    return;
  }
  if (target_.bindAddress && !bindForConnect(socket_, *target_.bindAddress)) return;
  // A connect() that goes on in the background (EINPROGRESS, EINTR;
  // WSAEWOULDBLOCK) is never retried: writability or an error says how it
  // ended.
  if (::connect(socket_, address.get(), address.len) == 0) {
    finish();
    return;
  }
  const int e = lastSocketError();
  if (!isConnectInProgress(e)) {
    fail(errnoFailure(e));
    return;
  }
  absl::Status s = reactor_.addWriter(this);
  if (!s.ok()) {
    fail(Failure(ConnectError("ConnectError: " + std::string(s.message()))));
    return;
  }
  watching_ = true;
}

LostReason StreamConnector::doWrite() {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(socket_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error),
                   &len) != 0) {
    error = lastSocketError();
  }
  if (error != 0) {
    fail(errnoFailure(error));
  } else {
    finish();
  }
  return nullptr;
}

void StreamConnector::connectionLost(const LostReason& reason) {
  // The dispatcher saw an error or hang-up on the connecting socket (that
  // is how poll, and winsock select's except set, report a refused
  // connect), or the reactor shuts down.
  watching_ = false;
  if (!connecting() || socket_ < 0) return;
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(socket_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &len);
  fail(error != 0 ? errnoFailure(error) : Failure(reason));
}

Failure StreamConnector::errnoFailure(int error) const {
  switch (error) {
    case kConnectionRefused:
      return connectFailure(ConnectErrorKind::kRefused, socketErrorText(error));
    case kTimedOut:
      return connectFailure(ConnectErrorKind::kTimedOut, socketErrorText(error));
    case kHostUnreachable:
    case kNetworkUnreachable:
      return connectFailure(ConnectErrorKind::kNoRoute, socketErrorText(error));
    default:
      return connectFailure(ConnectErrorKind::kOther, socketErrorText(error));
  }
}

void StreamConnector::abandonAttempt() {
  if (watching_) {
    watching_ = false;
    reactor_.removeWriter(this);
  }
  if (socket_ >= 0) {
    internal::closeSocket(socket_);
    socket_ = -1;
  }
}

void StreamConnector::finish() {
  stopTimeout();
  if (watching_) {
    watching_ = false;
    reactor_.removeWriter(this);
  }
  const int fd = std::exchange(socket_, -1);
  const char* type = target_.kind == StreamKind::kTcp ? "TCP" : "";
  Address peer = target_.kind == StreamKind::kTcp ? peerAddress(fd, type)
                                                  : Address::unixSocket(target_.path);
  std::shared_ptr<Protocol> protocol = buildProtocol(peer);
  if (!protocol) {
    internal::closeSocket(fd);
    fail(noProtocolFailure());
    return;
  }
  std::shared_ptr<StreamTransport> conn =
      streamConnectionFor(reactor_, fd, std::move(protocol), target_.kind);
  conn->setOnLost(connected(conn));
  absl::Status s = StreamTransport::start(conn);
  if (!s.ok()) {
    connection_.reset();
    fail(Failure(ConnectError("ConnectError: " + std::string(s.message()))));
  }
}

}  // namespace torsion::net::internal
