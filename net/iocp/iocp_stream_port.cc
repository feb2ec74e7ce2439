#include "net/iocp/iocp_stream_port.h"

#include <mswsock.h>

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"
#include "net/iocp/extension_functions.h"
#include "net/iocp/iocp_stream_connection.h"
#include "net/socket_address.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {
namespace {

constexpr double kFirstRetryDelay = 0.01;
constexpr double kMaxRetryDelay = 1.0;

bool outOfResources(std::uint32_t e) {
  return e == WSAEMFILE || e == WSAENOBUFS || e == ERROR_NOT_ENOUGH_MEMORY ||
         e == ERROR_NO_SYSTEM_RESOURCES;
}

}  // namespace

IocpStreamPort::IocpStreamPort(Reactor& reactor, SOCKET listener,
                               std::shared_ptr<Factory> factory, bool skipOnSuccess)
    : reactor_(reactor),
      listener_(listener),
      factory_(std::move(factory)),
      skipOnSuccess_(skipOnSuccess) {}

IocpStreamPort::~IocpStreamPort() {
  if (listener_ != INVALID_SOCKET) ::closesocket(listener_);
  if (acceptSocket_ != INVALID_SOCKET) ::closesocket(acceptSocket_);
}

absl::Status IocpStreamPort::start(const std::shared_ptr<IocpStreamPort>& port) {
  port->host_ = localAddress(toFd(port->listener_), "TCP");
  port->family_ = port->host_.kind == Address::Kind::kIPv6 ? AF_INET6 : AF_INET;
  port->listening_ = true;
  if (absl::Status s = port->startAccept(); !s.ok()) {
    port->listening_ = false;
    port->finished_ = true;
    port->closeListener();
    return s;
  }
  port->self_ = port;
  port->factory_->doStart();
  port->shutdownHook_.arm(port->reactor_, [weak = std::weak_ptr<IocpStreamPort>(port)] {
    auto p = weak.lock();
    if (!p) return;
    // Reactor shutdown: as FdDispatcher::disconnectAll for a readiness
    // port, the factory is stopped now, synchronously.
    p->shutdownHook_.fired();
    p->stopping_ = true;
    p->closeListener();
    p->finishStop();
  });
  return absl::OkStatus();
}

std::string IocpStreamPort::logPrefix() const {
  return "TCPPort(iocp, " + describe(host_) + ")";
}

absl::Status IocpStreamPort::startAccept() {
  if (!listening_ || listener_ == INVALID_SOCKET) return absl::OkStatus();
  absl::StatusOr<const WinsockExtensions*> ext = winsockExtensions();
  if (!ext.ok()) return ext.status();
  acceptSocket_ = WSASocketW(family_, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                             WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (acceptSocket_ == INVALID_SOCKET) {
    const int e = WSAGetLastError();
    if (outOfResources(static_cast<std::uint32_t>(e))) {
      retryLater("socket(): " + win32ErrorTextAndNumber(e));
      return absl::OkStatus();
    }
    return absl::UnavailableError(
        logPrefix() + ": socket() for AcceptEx: " + win32ErrorTextAndNumber(e));
  }
  ++inFlight_;
  const LPFN_ACCEPTEX acceptEx = (*ext)->acceptEx;
  startOperation(
      reactor_, skipOnSuccess_, *this,
      [self = shared_from_this()](std::uint32_t error, std::uint32_t) {
        --self->inFlight_;
        self->acceptDone(error);
      },
      [&](OVERLAPPED* o, DWORD* bytes) {
        return acceptEx(listener_, acceptSocket_, acceptBuffer_, 0, kAddressSpace,
                        kAddressSpace, bytes, o)
                   ? 0
                   : WSAGetLastError();
      });
  return absl::OkStatus();
}

void IocpStreamPort::acceptDone(std::uint32_t error) {
  SOCKET s = std::exchange(acceptSocket_, INVALID_SOCKET);
  if (!listening_) {
    // Stopped (or shut down): the completion is the abort we waited for.
    if (s != INVALID_SOCKET) ::closesocket(s);
    finishStop();
    return;
  }
  if (error != 0) {
    if (s != INVALID_SOCKET) ::closesocket(s);
    if (outOfResources(error)) {
      retryLater(win32ErrorTextAndNumber(error));
      return;
    }
    // A client that reset before we took it (ERROR_NETNAME_DELETED,
    // WSAECONNRESET) costs only that connection; anything else is logged.
    if (error != ERROR_NETNAME_DELETED && error != WSAECONNRESET &&
        error != ERROR_CONNECTION_ABORTED) {
      log::err("net", logPrefix() + ": AcceptEx: " + win32ErrorTextAndNumber(error));
    }
  } else {
    retryDelay_ = 0;
    handleAccepted(s);
  }
  if (absl::Status st = startAccept(); !st.ok()) {
    retryLater(std::string(st.message()));
  }
}

void IocpStreamPort::completionFailed(std::exception_ptr) {
  // acceptDone threw before it asked for the next client: a listener
  // carries on, as a readiness port whose doRead threw is not closed
  // either (Twisted's Port logs buildProtocol's errors and keeps going).
  if (!listening_ || acceptSocket_ != INVALID_SOCKET) return;
  if (absl::Status st = startAccept(); !st.ok()) retryLater(std::string(st.message()));
}

void IocpStreamPort::handleAccepted(SOCKET s) {
  // The accepted socket takes the listener's properties (getpeername,
  // shutdown and setsockopt work on it from now on).
  ::setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
               reinterpret_cast<const char*>(&listener_), sizeof listener_);
  Address peer;
  if (absl::StatusOr<const WinsockExtensions*> ext = winsockExtensions(); ext.ok()) {
    sockaddr* local = nullptr;
    sockaddr* remote = nullptr;
    int localLen = 0;
    int remoteLen = 0;
    (*ext)->getAcceptExSockaddrs(acceptBuffer_, 0, kAddressSpace, kAddressSpace, &local,
                                 &localLen, &remote, &remoteLen);
    if (remote != nullptr) peer = toAddress(remote, remoteLen, "TCP");
  }
  std::shared_ptr<Protocol> protocol = buildServerProtocol(*factory_, peer, logPrefix());
  if (!protocol) {
    // Refused (Twisted N1): close gracefully.
    ::closesocket(s);
    return;
  }
  absl::StatusOr<bool> skip = associateSocket(reactor_, s);
  if (!skip.ok()) {
    ::closesocket(s);
    log::err("net", logPrefix() + ": cannot serve a new connection: " +
                        std::string(skip.status().message()));
    return;
  }
  auto conn =
      std::make_shared<IocpStreamConnection>(reactor_, s, std::move(protocol), *skip);
  (void)IocpStreamConnection::start(conn);
}

void IocpStreamPort::retryLater(const std::string& why) {
  // Out of sockets: AcceptEx would fail at once again. Look again later;
  // clients wait in the backlog meanwhile (net/stream_port.cc does the same).
  retryDelay_ =
      retryDelay_ == 0 ? kFirstRetryDelay : std::min(retryDelay_ * 2, kMaxRetryDelay);
  log::warn("net", logPrefix() + ": accept: " + why + "; not accepting for " +
                       std::to_string(retryDelay_) + " s");
  retry_ = reactor_.callLater(Seconds(retryDelay_), [this] {
    retry_ = DelayedCall();
    if (!listening_) return;
    if (absl::Status s = startAccept(); !s.ok()) retryLater(std::string(s.message()));
  });
}

Deferred<void> IocpStreamPort::stopListening() {
  if (stopping_ || finished_) return succeed();
  stopping_ = true;
  shutdownHook_.disarm();
  Deferred<void> done;
  stopped_ = done;
  // Close now, so the address can be bound again at once; the factory and
  // the caller hear of it when the pending AcceptEx has completed aborted
  // (or on the next pass if none is pending): never re-entrantly.
  closeListener();
  if (inFlight_ == 0) {
    reactor_.callSoon([self = shared_from_this()] { self->finishStop(); });
  }
  return done;
}

void IocpStreamPort::closeListener() {
  listening_ = false;
  if (retry_.active()) retry_.cancel();
  retry_ = DelayedCall();
  // The pending AcceptEx is queued on the listener: closing it aborts
  // that operation; its accept socket is closed in acceptDone.
  cancelAndClose(listener_);
}

void IocpStreamPort::finishStop() {
  if (finished_ || !stopping_) return;
  finished_ = true;
  std::shared_ptr<IocpStreamPort> keep = std::move(self_);
  shutdownHook_.disarm();
  try {
    factory_->doStop();
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in stopFactory",
             std::current_exception());
  }
  if (stopped_) {
    Deferred<void> done = std::move(*stopped_);
    stopped_.reset();
    done.callback();
  }
}

}  // namespace torsion::net::internal
