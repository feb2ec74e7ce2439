#include "net/iocp/iocp_stream_connector.h"

#include <mswsock.h>

#include <string>
#include <utility>

#include "net/errors.h"
#include "net/iocp/extension_functions.h"
#include "net/iocp/iocp_stream_connection.h"

namespace torsion::net::internal {

IocpStreamConnector::IocpStreamConnector(
    Reactor& reactor, std::string host, std::uint16_t port,
    std::optional<std::pair<std::string, std::uint16_t>> bindAddress,
    std::shared_ptr<ClientFactory> factory, std::optional<Seconds> timeout)
    : ConnectorBase(reactor, std::move(factory), timeout),
      host_(std::move(host)),
      port_(port),
      bindAddress_(std::move(bindAddress)) {}

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

void IocpStreamConnector::attemptStarting(std::uint64_t id) {
  shutdownHook_.arm(reactor_,
                    [weak = std::weak_ptr<ConnectorBase>(shared_from_this()), this, id] {
                      auto self = weak.lock();
                      if (!self) return;
                      shutdownHook_.fired();
                      // As a readiness connector that the reactor disconnects at
                      // shutdown.
                      if (current(id))
                        fail(Failure(std::make_exception_ptr(ConnectionLost())));
                    });
}

void IocpStreamConnector::completionFailed(std::exception_ptr error) {
  // The attempt that threw is still open: it ends with that reason.
  if (socket_ != INVALID_SOCKET) fail(Failure(error));
}

void IocpStreamConnector::startAttempt(std::uint64_t id) {
  resolveThenAttempt(id, host_, port_);
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
    fail(Failure(ConnectError("ConnectError: socket(): " +
                              win32ErrorTextAndNumber(WSAGetLastError()))));
    return;
  }
  // ConnectEx refuses an unbound socket: bind where asked, else to the
  // wildcard of the destination's family (port 0).
  if (bindAddress_) {
    if (!bindForConnect(toFd(socket_), *bindAddress_)) return;
  } else {
    absl::StatusOr<SockAddr> any =
        ipLiteral(address.family() == AF_INET6 ? "::" : "0.0.0.0", 0);
    if (!any.ok() || ::bind(socket_, any->get(), any->len) != 0) {
      fail(Failure(ConnectError("ConnectError: bind() before ConnectEx: " +
                                win32ErrorTextAndNumber(WSAGetLastError()))));
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
      reactor_, skipOnSuccess_, *this,
      [self = shared_from_this(), this, id](std::uint32_t error, std::uint32_t) {
        connectDone(id, error);
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
  const std::string why = win32ErrorTextAndNumber(error);
  switch (error) {
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
      return connectFailure(ConnectErrorKind::kRefused, why);
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return connectFailure(ConnectErrorKind::kTimedOut, why);
    case WSAEHOSTUNREACH:
    case WSAENETUNREACH:
    case ERROR_HOST_UNREACHABLE:
    case ERROR_NETWORK_UNREACHABLE:
      return connectFailure(ConnectErrorKind::kNoRoute, why);
    default:
      return connectFailure(ConnectErrorKind::kOther, why);
  }
}

void IocpStreamConnector::finish() {
  stopTimeout();
  SOCKET s = std::exchange(socket_, INVALID_SOCKET);
  // getpeername, shutdown and setsockopt need the updated context.
  ::setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0);
  std::shared_ptr<Protocol> protocol = buildProtocol(peerAddress(toFd(s), "TCP"));
  if (!protocol) {
    ::closesocket(s);
    fail(noProtocolFailure());
    return;
  }
  shutdownHook_.disarm();  // the connection has its own
  auto conn = std::make_shared<IocpStreamConnection>(reactor_, s, std::move(protocol),
                                                     skipOnSuccess_);
  conn->setOnLost(connected(conn));
  (void)IocpStreamConnection::start(conn);
}

void IocpStreamConnector::abandonAttempt() {
  shutdownHook_.disarm();
  // A pending ConnectEx completes aborted and finds a newer attempt id.
  cancelAndClose(socket_);
}

}  // namespace torsion::net::internal
