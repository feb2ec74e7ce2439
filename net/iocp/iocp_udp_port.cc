#include "net/iocp/iocp_udp_port.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"
#include "net/errors.h"
#include "net/read_buffer.h"

namespace torsion::net::internal {
namespace {

// How Windows reports an ICMP port unreachable for an earlier datagram:
// WSAECONNRESET from a call, ERROR_PORT_UNREACHABLE (or the reset
// statuses) from a completion.
bool isRefusal(std::uint32_t e) {
  return e == WSAECONNRESET || e == ERROR_PORT_UNREACHABLE ||
         e == ERROR_CONNECTION_REFUSED || e == WSAECONNREFUSED ||
         e == ERROR_NETNAME_DELETED;
}

}  // namespace

IocpUdpPort::IocpUdpPort(Reactor& reactor, SOCKET s,
                         std::shared_ptr<DatagramProtocol> protocol,
                         std::size_t maxPacketSize, bool skipOnSuccess)
    : DatagramPortBase(std::move(protocol)),
      reactor_(reactor),
      socket_(s),
      maxPacketSize_(std::clamp<std::size_t>(maxPacketSize, 1, kReadBufferSize)),
      skipOnSuccess_(skipOnSuccess) {}

IocpUdpPort::~IocpUdpPort() {
  if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
}

absl::Status IocpUdpPort::start(const std::shared_ptr<IocpUdpPort>& port) {
  port->host_ = localAddress(toFd(port->socket_), "UDP");
  port->self_ = port;
  port->shutdownHook_.arm(port->reactor_, [weak = std::weak_ptr<IocpUdpPort>(port)] {
    if (auto p = weak.lock()) {
      p->shutdownHook_.fired();
      p->closeAndStop();
    }
  });
  try {
    port->protocol_->makeConnection(port.get());
  } catch (...) {
    log::err("net", port->logPrefix() + ": unhandled error in startProtocol",
             std::current_exception());
  }
  port->startRead();
  return absl::OkStatus();
}

std::string IocpUdpPort::logPrefix() const {
  return "UDPPort(iocp, " + describe(host_) + ")";
}

void IocpUdpPort::startRead() {
  if (reading_ || stopping_ || socket_ == INVALID_SOCKET) return;
  if (!readBuffer_) readBuffer_.reset(new char[maxPacketSize_]);
  reading_ = true;
  ++inFlight_;
  fromLen_ = sizeof from_.storage;
  startOperation(
      reactor_, skipOnSuccess_, *this,
      [self = shared_from_this()](std::uint32_t error, std::uint32_t bytes) {
        --self->inFlight_;
        self->readDone(error, bytes);
      },
      [this](OVERLAPPED* o, DWORD* bytes) {
        WSABUF b{static_cast<ULONG>(maxPacketSize_), readBuffer_.get()};
        DWORD flags = 0;
        return WSARecvFrom(socket_, &b, 1, bytes, &flags, from_.get(), &fromLen_, o,
                           nullptr) == 0
                   ? 0
                   : WSAGetLastError();
      });
}

void IocpUdpPort::readDone(std::uint32_t error, std::uint32_t bytes) {
  reading_ = false;
  if (stopping_ || socket_ == INVALID_SOCKET) return;  // closed: aborted
  // A datagram longer than maxPacketSize arrives truncated, as recvfrom
  // delivers it on POSIX.
  if (error == ERROR_MORE_DATA || error == WSAEMSGSIZE) error = 0;
  if (error != 0) {
    if (isRefusal(error)) {
      if (connected_) refused();
    } else if (!isAborted(error)) {
      // A read error does not kill the port (Twisted test_serverReadFailure).
      log::msg("net", logPrefix() + ": WSARecvFrom: " + win32ErrorTextAndNumber(error));
    }
  } else {
    // A throw skips startRead; completionFailed starts the next receive.
    protocol_->datagramReceived(
        std::string_view(readBuffer_.get(), bytes),
        toAddress(from_.get(), static_cast<socklen_t>(fromLen_), "UDP"));
  }
  startRead();
}

void IocpUdpPort::completionFailed(std::exception_ptr) { startRead(); }

absl::Status IocpUdpPort::send(const char* data, std::size_t size, const SockAddr* to) {
  if (socket_ == INVALID_SOCKET || stopped_)
    return absl::FailedPreconditionError(logPrefix() + ": write after stopListening");
  WSABUF b{static_cast<ULONG>(size), const_cast<char*>(data)};
  DWORD sent = 0;
  // No OVERLAPPED: the outcome is known now (Twisted's IOCP udp.Port also
  // writes with a plain sendto).
  const int rc = to != nullptr ? WSASendTo(socket_, &b, 1, &sent, 0, to->get(),
                                           static_cast<int>(to->len), nullptr, nullptr)
                               : WSASend(socket_, &b, 1, &sent, 0, nullptr, nullptr);
  if (rc == 0) return absl::OkStatus();
  const int e = WSAGetLastError();
  if (e == WSAEMSGSIZE) {
    throw MessageLengthError("MessageLengthError: a datagram of " + std::to_string(size) +
                             " bytes is too long: " + win32ErrorTextAndNumber(e));
  }
  if (e == WSAECONNRESET || e == WSAECONNREFUSED) {
    if (connected_) refused();
    return absl::OkStatus();
  }
  return absl::UnavailableError(logPrefix() + ": datagram of " + std::to_string(size) +
                                " bytes dropped: " + win32ErrorTextAndNumber(e));
}

absl::Status IocpUdpPort::connectSocket(const SockAddr& to, std::string_view host) {
  if (::connect(socket_, to.get(), static_cast<int>(to.len)) != 0) {
    return absl::UnavailableError(logPrefix() + ": connect to " + std::string(host) +
                                  ": " + win32ErrorTextAndNumber(WSAGetLastError()));
  }
  return absl::OkStatus();
}

absl::Status IocpUdpPort::lastCallError(const std::string& what) const {
  return absl::UnknownError(what + ": " + win32ErrorTextAndNumber(WSAGetLastError()));
}

Deferred<void> IocpUdpPort::stopListening() {
  if (stopping_ || stopped_) return succeed();
  stopping_ = true;
  Deferred<void> done;
  // stopProtocol runs on the next pass, never inside the caller (Twisted
  // test_stopProtocolScheduling).
  reactor_.callSoon([self = shared_from_this(), done]() mutable {
    self->closeAndStop();
    done.callback();
  });
  return done;
}

void IocpUdpPort::closeAndStop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  std::shared_ptr<IocpUdpPort> keep = std::move(self_);
  shutdownHook_.disarm();
  // The pending WSARecvFrom completes aborted; it holds the port (and
  // readBuffer_/from_) until then.
  cancelAndClose(socket_);
  try {
    protocol_->doStop();
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in stopProtocol",
             std::current_exception());
  }
}

}  // namespace torsion::net::internal
