#include "net/connector_base.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "base/log.h"
#include "net/errors.h"
#include "net/resolve.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {

ConnectorBase::ConnectorBase(Reactor& reactor, std::shared_ptr<ClientFactory> factory,
                             std::optional<Seconds> timeout)
    : reactor_(reactor), factory_(std::move(factory)), timeout_(timeout) {}

void ConnectorBase::connect() {
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
  attemptStarting(id);
  if (timeout_) {
    timeoutCall_ = reactor_.callLater(*timeout_, [this, id] {
      if (current(id)) fail(Failure(TimeoutError()));
    });
  }
  factory_->startedConnecting(this);
  if (!current(id)) return;  // stopConnecting() inside startedConnecting
  startAttempt(id);
}

void ConnectorBase::resolveThenAttempt(std::uint64_t id, const std::string& host,
                                       std::uint16_t port) {
  auto self = shared_from_this();
  resolve(reactor_, host)
      .addCallbacks(
          [self, id, port](std::string ip) {
            self->reactor_.callSoon([self, id, port, ip = std::move(ip)] {
              if (!self->current(id)) return;
              absl::StatusOr<SockAddr> a = ipLiteral(ip, port);
              if (!a.ok()) {
                self->fail(Failure(DNSLookupError("DNSLookupError: " +
                                                  std::string(a.status().message()))));
              } else {
                self->attempt(*a, id);
              }
            });
          },
          [self, id](Failure f) {
            if (self->current(id)) self->fail(f);
          });
}

void ConnectorBase::stopTimeout() {
  if (timeoutCall_.active()) timeoutCall_.cancel();
  timeoutCall_ = DelayedCall();
}

std::shared_ptr<Protocol> ConnectorBase::buildProtocol(const Address& peer) {
  try {
    return factory_->buildProtocol(peer);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in buildProtocol",
             std::current_exception());
  }
  return nullptr;
}

Failure ConnectorBase::noProtocolFailure() {
  // net/endpoints.h has Twisted's NoProtocol for endpoints; a bare
  // connector reports a ConnectError saying the same.
  return Failure(ConnectError("ConnectError: NoProtocol: buildProtocol returned null"));
}

Failure ConnectorBase::connectFailure(ConnectErrorKind kind,
                                      const std::string& why) const {
  const std::string where = describe(getDestination());
  switch (kind) {
    case ConnectErrorKind::kRefused:
      return Failure(ConnectionRefusedError("ConnectionRefusedError: connection to " +
                                            where + " was refused: " + why));
    case ConnectErrorKind::kTimedOut:
      return Failure(TimeoutError("TimeoutError: connecting to " + where + ": " + why));
    case ConnectErrorKind::kNoRoute:
      return Failure(NoRouteError("NoRouteError: no route to " + where + ": " + why));
    case ConnectErrorKind::kOther:
      break;
  }
  return Failure(ConnectError("ConnectError: connecting to " + where + ": " + why));
}

absl::AnyInvocable<void(const Failure&)> ConnectorBase::connected(
    std::weak_ptr<Transport> connection) {
  auto self = shared_from_this();
  self_.reset();  // from now on the connection keeps us alive
  state_ = State::kConnected;
  connection_ = std::move(connection);
  return [self](const Failure& reason) { self->connectionEnded(reason); };
}

bool ConnectorBase::bindForConnect(int fd,
                                   const std::pair<std::string, std::uint16_t>& address) {
  absl::StatusOr<SockAddr> b = ipLiteral(address.first, address.second);
  if (!b.ok()) {
    fail(Failure(
        ConnectBindError("ConnectBindError: " + std::string(b.status().message()))));
    return false;
  }
  if (::bind(fd, b->get(), b->len) != 0) {
    fail(Failure(ConnectBindError("ConnectBindError: couldn't bind to " + address.first +
                                  ":" + std::to_string(address.second) + ": " +
                                  socketErrorText(lastSocketError()))));
    return false;
  }
  return true;
}

void ConnectorBase::fail(const Failure& reason) {
  auto keep = shared_from_this();
  self_.reset();
  stopTimeout();
  abandonAttempt();
  state_ = State::kDisconnected;
  try {
    factory_->clientConnectionFailed(this, reason);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in clientConnectionFailed",
             std::current_exception());
  }
  stopFactoryUnlessReconnecting();
}

void ConnectorBase::connectionEnded(const Failure& reason) {
  state_ = State::kDisconnected;
  connection_.reset();
  try {
    factory_->clientConnectionLost(this, reason);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in clientConnectionLost",
             std::current_exception());
  }
  stopFactoryUnlessReconnecting();
}

void ConnectorBase::stopFactoryUnlessReconnecting() {
  if (state_ == State::kDisconnected && factoryStarted_) {
    factoryStarted_ = false;
    factory_->doStop();
  }
}

void ConnectorBase::stopConnecting() {
  if (state_ != State::kConnecting) throw NotConnectingError();
  fail(Failure(UserError()));
}

void ConnectorBase::disconnect() {
  if (state_ == State::kConnecting) {
    stopConnecting();
  } else if (state_ == State::kConnected) {
    if (auto c = connection_.lock()) c->loseConnection();
  }
}

}  // namespace torsion::net::internal
