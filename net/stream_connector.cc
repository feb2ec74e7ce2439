#include "net/stream_connector.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "core/log.h"
#include "net/errors.h"
#include "net/resolve.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {

StreamConnector::StreamConnector(Reactor& reactor, ConnectTarget target,
                                 std::shared_ptr<ClientFactory> factory,
                                 std::optional<Seconds> timeout)
    : reactor_(reactor),
      target_(std::move(target)),
      factory_(std::move(factory)),
      timeout_(timeout) {}

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

void StreamConnector::connect() {
  if (state_ != State::kDisconnected) {
    throw std::logic_error(
        "Connector::connect: can't connect in this state (" +
        std::string(state_ == State::kConnecting ? "connecting" : "connected") + ")");
  }
  state_ = State::kConnecting;
  const std::uint64_t id = ++attemptId_;
  self_ = shared_from_this();
  if (!factoryStarted_) {
    factoryStarted_ = true;
    factory_->doStart();
  }
  if (timeout_) {
    timeoutCall_ = reactor_.callLater(*timeout_, [this, id] {
      if (current(id)) fail(Failure(TimeoutError()));
    });
  }
  factory_->startedConnecting(this);
  if (!current(id)) return;  // stopConnecting() inside startedConnecting

  auto self = shared_from_this();
  if (target_.kind == StreamKind::kUnix) {
    absl::StatusOr<SockAddr> a = unixPath(target_.path);
    reactor_.callSoon([self, id, a = std::move(a)] {
      if (!self->current(id)) return;
      if (!a.ok()) {
        self->fail(
            Failure(ConnectError("ConnectError: " + std::string(a.status().message()))));
      } else {
        self->attempt(*a);
      }
    });
    return;
  }
  // Connect on the next pass even for literals: startedConnecting and the
  // caller of connectTCP run before any outcome, as in Twisted.
  resolve(reactor_, target_.host)
      .addCallbacks(
          [self, id](std::string ip) {
            self->reactor_.callSoon([self, id, ip = std::move(ip)] {
              if (!self->current(id)) return;
              absl::StatusOr<SockAddr> a = ipLiteral(ip, self->target_.port);
              if (!a.ok()) {
                self->fail(Failure(DNSLookupError("DNSLookupError: " +
                                                  std::string(a.status().message()))));
              } else {
                self->attempt(*a);
              }
            });
          },
          [self, id](Failure f) {
            if (self->current(id)) self->fail(f);
          });
}

void StreamConnector::attempt(const SockAddr& address) {
  socket_ = openSocket(address.family(), SOCK_STREAM);
  if (socket_ < 0) {
    fail(
        Failure(ConnectError("ConnectError: socket(): " + errnoText(lastSocketError()))));
    return;
  }
  if (target_.bindAddress) {
    absl::StatusOr<SockAddr> b =
        ipLiteral(target_.bindAddress->first, target_.bindAddress->second);
    if (!b.ok()) {
      fail(Failure(
          ConnectBindError("ConnectBindError: " + std::string(b.status().message()))));
      return;
    }
    if (::bind(socket_, b->get(), b->len) != 0) {
      fail(Failure(ConnectBindError("ConnectBindError: couldn't bind to " +
                                    target_.bindAddress->first + ":" +
                                    std::to_string(target_.bindAddress->second) + ": " +
                                    errnoText(lastSocketError()))));
      return;
    }
  }
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
  if (state_ != State::kConnecting || socket_ < 0) return;
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(socket_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &len);
  fail(error != 0 ? errnoFailure(error) : Failure(reason));
}

Failure StreamConnector::errnoFailure(int error) const {
  const std::string where = describe(getDestination());
  const std::string why = errnoText(error);
  switch (error) {
    case kConnectionRefused:
      return Failure(ConnectionRefusedError("ConnectionRefusedError: connection to " +
                                            where + " was refused: " + why));
    case kTimedOut:
      return Failure(TimeoutError("TimeoutError: connecting to " + where + ": " + why));
    case kHostUnreachable:
    case kNetworkUnreachable:
      return Failure(NoRouteError("NoRouteError: no route to " + where + ": " + why));
    default:
      return Failure(ConnectError("ConnectError: connecting to " + where + ": " + why));
  }
}

void StreamConnector::closeSocket() {
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
  if (timeoutCall_.active()) timeoutCall_.cancel();
  timeoutCall_ = DelayedCall();
  if (watching_) {
    watching_ = false;
    reactor_.removeWriter(this);
  }
  const int fd = std::exchange(socket_, -1);
  const char* type = target_.kind == StreamKind::kTcp ? "TCP" : "";
  Address peer = target_.kind == StreamKind::kTcp ? peerAddress(fd, type)
                                                  : Address::unixSocket(target_.path);
  std::shared_ptr<Protocol> protocol;
  try {
    protocol = factory_->buildProtocol(peer);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in buildProtocol",
             std::current_exception());
  }
  if (!protocol) {
    internal::closeSocket(fd);
    // net/endpoints.h has Twisted's NoProtocol for endpoints; a bare
    // connector reports a ConnectError saying the same.
    fail(Failure(ConnectError("ConnectError: NoProtocol: buildProtocol returned null")));
    return;
  }
  auto self = shared_from_this();
  self_.reset();  // from now on the connection keeps us alive
  state_ = State::kConnected;
  auto conn =
      std::make_shared<StreamConnection>(reactor_, fd, std::move(protocol), target_.kind);
  conn->setOnLost([self](const Failure& reason) { self->connectionEnded(reason); });
  connection_ = conn;
  absl::Status s = StreamConnection::start(conn);
  if (!s.ok()) {
    connection_.reset();
    fail(Failure(ConnectError("ConnectError: " + std::string(s.message()))));
  }
}

void StreamConnector::fail(const Failure& reason) {
  auto keep = shared_from_this();
  self_.reset();
  if (timeoutCall_.active()) timeoutCall_.cancel();
  timeoutCall_ = DelayedCall();
  closeSocket();
  state_ = State::kDisconnected;
  try {
    factory_->clientConnectionFailed(this, reason);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in clientConnectionFailed",
             std::current_exception());
  }
  if (state_ == State::kDisconnected && factoryStarted_) {
    factoryStarted_ = false;
    factory_->doStop();
  }
}

void StreamConnector::connectionEnded(const Failure& reason) {
  state_ = State::kDisconnected;
  connection_.reset();
  try {
    factory_->clientConnectionLost(this, reason);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in clientConnectionLost",
             std::current_exception());
  }
  if (state_ == State::kDisconnected && factoryStarted_) {
    factoryStarted_ = false;
    factory_->doStop();
  }
}

void StreamConnector::stopConnecting() {
  if (state_ != State::kConnecting) throw NotConnectingError();
  fail(Failure(UserError()));
}

void StreamConnector::disconnect() {
  if (state_ == State::kConnecting) {
    stopConnecting();
  } else if (state_ == State::kConnected) {
    if (auto c = connection_.lock()) c->loseConnection();
  }
}

}  // namespace torsion::net::internal
