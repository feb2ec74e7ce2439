#include "net/iocp/iocp_stream_connector.h"

#include <mswsock.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "core/log.h"
#include "net/errors.h"
#include "net/iocp/extension_functions.h"
#include "net/iocp/iocp_stream_connection.h"
#include "net/resolve.h"

namespace torsion::net::internal {

IocpStreamConnector::IocpStreamConnector(
    Reactor& reactor, std::string host, std::uint16_t port,
    std::optional<std::pair<std::string, std::uint16_t>> bindAddress,
    std::shared_ptr<ClientFactory> factory, std::optional<Seconds> timeout)
    : reactor_(reactor),
      host_(std::move(host)),
      port_(port),
      bindAddress_(std::move(bindAddress)),
      factory_(std::move(factory)),
      timeout_(timeout) {}

IocpStreamConnector::~IocpStreamConnector() {
  // Reached with an open socket only if the reactor went away first.
  if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
}

Address IocpStreamConnector::getDestination() const {
  if (host_.find(':') != std::string::npos) return Address::ipv6("TCP", host_, port_);
  return Address::ipv4("TCP", host_, port_);
}

std::string IocpStreamConnector::logPrefix() const {
  return "Connector(iocp, " + describe(getDestination()) + ")";
}

void IocpStreamConnector::connect() {
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
  shutdownHook_.arm(reactor_, [weak = std::weak_ptr<IocpStreamConnector>(self_), id] {
    auto self = weak.lock();
    if (!self) return;
    self->shutdownHook_.fired();
    // As a readiness connector that the reactor disconnects at shutdown.
    if (self->current(id)) self->fail(Failure(std::make_exception_ptr(ConnectionLost())));
  });
  if (timeout_) {
    timeoutCall_ = reactor_.callLater(*timeout_, [this, id] {
      if (current(id)) fail(Failure(TimeoutError()));
    });
  }
  factory_->startedConnecting(this);
  if (!current(id)) return;  // stopConnecting() inside startedConnecting

  auto self = shared_from_this();
  // Connect on the next pass even for literals: startedConnecting and the
  // caller of connectTCP run before any outcome, as in Twisted.
  resolve(reactor_, host_)
      .addCallbacks(
          [self, id](std::string ip) {
            self->reactor_.callSoon([self, id, ip = std::move(ip)] {
              if (!self->current(id)) return;
              absl::StatusOr<SockAddr> a = ipLiteral(ip, self->port_);
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

void IocpStreamConnector::attempt(const SockAddr& address, std::uint64_t id) {
  absl::StatusOr<const WinsockExtensions*> ext = winsockExtensions();
  if (!ext.ok()) {
    fail(Failure(ConnectError("ConnectError: " + std::string(ext.status().message()))));
    return;
  }
  socket_ = WSASocketW(address.family(), SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                       WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (socket_ == INVALID_SOCKET) {
    fail(Failure(
        ConnectError("ConnectError: socket(): " + winErrorText(WSAGetLastError()))));
    return;
  }
  // ConnectEx refuses an unbound socket: bind where asked, else to the
  // wildcard of the destination's family (port 0).
  if (bindAddress_) {
    absl::StatusOr<SockAddr> b = ipLiteral(bindAddress_->first, bindAddress_->second);
    if (!b.ok()) {
      fail(Failure(
          ConnectBindError("ConnectBindError: " + std::string(b.status().message()))));
      return;
    }
    if (::bind(socket_, b->get(), b->len) != 0) {
      fail(Failure(ConnectBindError("ConnectBindError: couldn't bind to " +
                                    bindAddress_->first + ":" +
                                    std::to_string(bindAddress_->second) + ": " +
                                    winErrorText(WSAGetLastError()))));
      return;
    }
  } else {
    absl::StatusOr<SockAddr> any =
        ipLiteral(address.family() == AF_INET6 ? "::" : "0.0.0.0", 0);
    if (!any.ok() || ::bind(socket_, any->get(), any->len) != 0) {
      fail(Failure(ConnectError("ConnectError: bind() before ConnectEx: " +
                                winErrorText(WSAGetLastError()))));
      return;
    }
  }
  absl::StatusOr<bool> skip = associateSocket(reactor_, socket_);
  if (!skip.ok()) {
    fail(Failure(ConnectError("ConnectError: " + std::string(skip.status().message()))));
    return;
  }
  skipOnSuccess_ = *skip;
  const LPFN_CONNECTEX connectEx = (*ext)->connectEx;
  const SOCKET s = socket_;
  startOperation(
      reactor_, skipOnSuccess_,
      [self = shared_from_this(), id](std::uint32_t error, std::uint32_t) {
        self->connectDone(id, error);
      },
      [&](OVERLAPPED* o, DWORD* bytes) {
        return connectEx(s, address.get(), address.len, nullptr, 0, bytes, o)
                   ? 0
                   : WSAGetLastError();
      });
}

void IocpStreamConnector::connectDone(std::uint64_t id, std::uint32_t error) {
  // A stale attempt (stopped, timed out, shut down): its socket is already
  // closed and its outcome reported.
  if (!current(id) || socket_ == INVALID_SOCKET) return;
  if (error != 0) {
    fail(errorFailure(error));
    return;
  }
  finish();
}

Failure IocpStreamConnector::errorFailure(std::uint32_t error) const {
  const std::string where = describe(getDestination());
  const std::string why = winErrorText(error);
  switch (error) {
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
      return Failure(ConnectionRefusedError("ConnectionRefusedError: connection to " +
                                            where + " was refused: " + why));
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return Failure(TimeoutError("TimeoutError: connecting to " + where + ": " + why));
    case WSAEHOSTUNREACH:
    case WSAENETUNREACH:
    case ERROR_HOST_UNREACHABLE:
    case ERROR_NETWORK_UNREACHABLE:
      return Failure(NoRouteError("NoRouteError: no route to " + where + ": " + why));
    default:
      return Failure(ConnectError("ConnectError: connecting to " + where + ": " + why));
  }
}

void IocpStreamConnector::finish() {
  if (timeoutCall_.active()) timeoutCall_.cancel();
  timeoutCall_ = DelayedCall();
  SOCKET s = std::exchange(socket_, INVALID_SOCKET);
  // getpeername, shutdown and setsockopt need the updated context.
  ::setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0);
  Address peer = peerAddress(toFd(s), "TCP");
  std::shared_ptr<Protocol> protocol;
  try {
    protocol = factory_->buildProtocol(peer);
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in buildProtocol",
             std::current_exception());
  }
  if (!protocol) {
    ::closesocket(s);
    fail(Failure(ConnectError("ConnectError: NoProtocol: buildProtocol returned null")));
    return;
  }
  auto self = shared_from_this();
  self_.reset();           // from now on the connection keeps us alive
  shutdownHook_.disarm();  // the connection has its own
  state_ = State::kConnected;
  auto conn = std::make_shared<IocpStreamConnection>(reactor_, s, std::move(protocol),
                                                     skipOnSuccess_);
  conn->setOnLost([self](const Failure& reason) { self->connectionEnded(reason); });
  connection_ = conn;
  (void)IocpStreamConnection::start(conn);
}

void IocpStreamConnector::fail(const Failure& reason) {
  auto keep = shared_from_this();
  self_.reset();
  shutdownHook_.disarm();
  if (timeoutCall_.active()) timeoutCall_.cancel();
  timeoutCall_ = DelayedCall();
  // A pending ConnectEx completes aborted and finds a newer attempt id.
  cancelAndClose(socket_);
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

void IocpStreamConnector::connectionEnded(const Failure& reason) {
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

void IocpStreamConnector::stopConnecting() {
  if (state_ != State::kConnecting) throw NotConnectingError();
  fail(Failure(UserError()));
}

void IocpStreamConnector::disconnect() {
  if (state_ == State::kConnecting) {
    stopConnecting();
  } else if (state_ == State::kConnected) {
    if (auto c = connection_.lock()) c->loseConnection();
  }
}

}  // namespace torsion::net::internal
