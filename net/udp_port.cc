#include "net/udp_port.h"

#include <algorithm>
#include <climits>
#include <string>

#include "base/log.h"
#include "net/errors.h"
#include "net/read_buffer.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {
namespace {

// Datagrams read per readiness event, so that a flooded port cannot starve
// the rest of the reactor (Twisted bounds it by bytes, maxThroughput).
constexpr int kMaxReadsPerEvent = 64;

// The error an ICMP port unreachable for an earlier datagram leaves on the
// socket: ECONNREFUSED; WSAECONNRESET on Windows (Twisted's udp.py treats
// it as refused there too).
bool isRefused(int e) {
#ifdef _WIN32
  if (e == kConnectionReset) return true;
#endif
  return e == kConnectionRefused;
}

}  // namespace

UdpPort::UdpPort(Reactor& reactor, int fd, std::shared_ptr<DatagramProtocol> protocol,
                 std::size_t maxPacketSize)
    : DatagramPortBase(std::move(protocol)),
      reactor_(reactor),
      fd_(fd),
      maxPacketSize_(std::clamp<std::size_t>(maxPacketSize, 1, kReadBufferSize)) {}

UdpPort::~UdpPort() {
  if (fd_ >= 0) closeSocket(fd_);
}

absl::Status UdpPort::start(const std::shared_ptr<UdpPort>& port) {
  port->host_ = localAddress(port->fd_, "UDP");
  if (absl::Status s = port->reactor_.addReader(port.get()); !s.ok()) {
    closeSocket(port->fd_);
    port->fd_ = -1;
    port->stopped_ = true;
    return s;
  }
  port->self_ = port;
  try {
    port->protocol_->makeConnection(port.get());
  } catch (...) {
    log::err("net", port->logPrefix() + ": unhandled error in startProtocol",
             std::current_exception());
  }
  return absl::OkStatus();
}

LostReason UdpPort::doRead() {
  const std::span<char> buffer = readBuffer();
  for (int i = 0; i < kMaxReadsPerEvent && !stopping_; ++i) {
    SockAddr from;
    from.len = sizeof from.storage;
    const long n = ::recvfrom(fd_, buffer.data(), static_cast<int>(maxPacketSize_), 0,
                              from.get(), &from.len);
    if (n < 0) {
      const int e = lastSocketError();
      if (e == kInterrupted) continue;
      if (isWouldBlock(e)) break;
#ifdef _WIN32
      // A datagram longer than maxPacketSize: winsock fails the read where
      // POSIX truncates; Twisted's udp.py drops it on win32 too.
      if (e == kMessageTooLong) continue;
#endif
      if (isRefused(e)) {
        // ICMP port unreachable for an earlier datagram (connected mode).
        if (connected_) refused();
        continue;
      }
      // A read error does not kill the port (Twisted test_serverReadFailure).
      log::msg("net", logPrefix() + ": recvfrom: " + socketErrorText(e));
      break;
    }
    try {
      protocol_->datagramReceived(
          std::string_view(buffer.data(), static_cast<std::size_t>(n)),
          toAddress(from.get(), from.len, "UDP"));
    } catch (...) {
      log::err("net", logPrefix() + ": unhandled error in datagramReceived",
               std::current_exception());
    }
  }
  return nullptr;
}

absl::Status UdpPort::send(const char* data, std::size_t size, const SockAddr* to) {
  if (fd_ < 0)
    return absl::FailedPreconditionError(logPrefix() + ": write after stopListening");
#ifdef _WIN32
  // An ICMP port unreachable for an earlier datagram: POSIX fails this
  // send with ECONNREFUSED (once); winsock may leave it in SO_ERROR only
  // (Wine shows it in select's except set, which a reader does not watch,
  // and never clears it: only a change is news).
  if (connected_) {
    const int pending = pendingSocketError(fd_);
    if (pending != lastPendingError_) {
      lastPendingError_ = pending;
      if (isRefused(pending)) {
        protocol_->connectionRefused();
        return absl::OkStatus();
      }
    }
  }
#endif
  for (;;) {
#ifdef _WIN32
    // No SIGPIPE on Windows, hence no MSG_NOSIGNAL.
    const int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
    const long n = to != nullptr ? ::sendto(fd_, data, length, 0, to->get(), to->len)
                                 : ::send(fd_, data, length, 0);
#else
    const long n = to != nullptr
                       ? ::sendto(fd_, data, size, MSG_NOSIGNAL, to->get(), to->len)
                       : ::send(fd_, data, size, MSG_NOSIGNAL);
#endif
    if (n >= 0) return absl::OkStatus();
    const int e = lastSocketError();
    if (e == kInterrupted) continue;
    if (e == kMessageTooLong) {
      throw MessageLengthError("MessageLengthError: a datagram of " +
                               std::to_string(size) +
                               " bytes is too long: " + socketErrorText(e));
    }
    if (isRefused(e) && connected_) {
      protocol_->connectionRefused();
      return absl::OkStatus();
    }
    return socketErrorStatus(
        e, logPrefix() + ": datagram of " + std::to_string(size) + " bytes dropped");
  }
}

absl::Status UdpPort::connectSocket(const SockAddr& to, std::string_view host) {
  if (::connect(fd_, to.get(), to.len) != 0) {
    return socketErrorStatus(lastSocketError(),
                             logPrefix() + ": connect to " + std::string(host));
  }
  return absl::OkStatus();
}

absl::Status UdpPort::lastCallError(const std::string& what) const {
  return socketErrorStatus(lastSocketError(), what);
}

Deferred<void> UdpPort::stopListening() {
  if (stopping_ || stopped_) return succeed();
  stopping_ = true;
  reactor_.removeReader(this);
  Deferred<void> done;
  // stopProtocol runs on the next pass, never inside the caller (Twisted
  // test_stopProtocolScheduling).
  reactor_.callSoon([self = shared_from_this(), done]() mutable {
    self->closeAndStop();
    done.callback();
  });
  return done;
}

void UdpPort::connectionLost(const LostReason& reason) {
  (void)reason;
  if (!stopping_ && fd_ >= 0) {
    // epoll and poll report an error queued on a datagram socket (an ICMP
    // port unreachable) as POLLERR, which the dispatch policy treats as a
    // lost connection; select reports it as readable. A datagram socket
    // has no connection to lose: take the error (reading SO_ERROR clears
    // it), report it as select would, and keep listening.
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &len) ==
            0 &&
        error != 0) {
      if (isRefused(error) && connected_) {
        refused();
      } else if (!isRefused(error)) {
        log::msg("net", logPrefix() + ": socket error: " + socketErrorText(error));
      }
      if (!stopping_) {
        if (absl::Status s = reactor_.addReader(this); s.ok()) return;
      }
    }
  }
  // Reactor shutdown, or the descriptor really went away.
  closeAndStop();
}

void UdpPort::closeAndStop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  std::shared_ptr<UdpPort> keep = std::move(self_);
  if (fd_ >= 0) {
    reactor_.removeReader(this);
    closeSocket(fd_);
    fd_ = -1;
  }
  try {
    protocol_->doStop();
  } catch (...) {
    log::err("net", logPrefix() + ": unhandled error in stopProtocol",
             std::current_exception());
  }
}

std::string UdpPort::logPrefix() const { return "UDPPort(" + describe(host_) + ")"; }

}  // namespace torsion::net::internal
