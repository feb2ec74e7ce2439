#include "net/uring/uring_stream_port.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/uring/uring_stream_connection.h"

namespace torsion::net::internal {
namespace {

constexpr double kFirstRetryDelay = 0.01;
constexpr double kMaxRetryDelay = 1.0;
constexpr int kAcceptFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;

// Whether `fd` is at or above the process's descriptor limit now. The
// kernel reads RLIMIT_NOFILE when an accept request is prepared, so a
// request armed before the limit was lowered still makes descriptors above
// it; accept(2) would have failed with EMFILE.
bool overDescriptorLimit(int fd) {
  rlimit limit{};
  return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
         static_cast<rlim_t>(fd) >= limit.rlim_cur;
}

}  // namespace

UringStreamPort::UringStreamPort(Reactor& reactor, IoUringPort& port, int fd,
                                 std::shared_ptr<Factory> factory, StreamKind kind,
                                 std::string unlinkPath,
                                 std::shared_ptr<void> releaseAfterUnlink)
    : reactor_(reactor),
      port_(port),
      fd_(fd),
      factory_(std::move(factory)),
      kind_(kind),
      unlinkPath_(std::move(unlinkPath)),
      releaseAfterUnlink_(std::move(releaseAfterUnlink)) {}

UringStreamPort::~UringStreamPort() {
  // Reached with an open socket only when the reactor went away first: no
  // request can be live (each one holds us).
  if (fd_ >= 0) closeSocket(fd_);
}

absl::Status UringStreamPort::start(const std::shared_ptr<UringStreamPort>& port) {
  port->host_ = port->kind_ == StreamKind::kTcp ? localAddress(port->fd_, "TCP")
                                                : Address::unixSocket(port->unlinkPath_);
  port->listening_ = true;
  port->self_ = port;
  port->factory_->doStart();
  port->shutdownHook_.arm(port->reactor_, [weak = std::weak_ptr<UringStreamPort>(port)] {
    auto p = weak.lock();
    if (!p) return;
    // Reactor shutdown: as FdDispatcher::disconnectAll for a readiness
    // port, the factory is stopped now, synchronously.
    p->shutdownHook_.fired();
    p->stopping_ = true;
    p->closeListener();
    p->finishStop();
  });
  port->startAccept();
  return absl::OkStatus();
}

std::string UringStreamPort::logPrefix() const {
  return std::string(kind_ == StreamKind::kTcp ? "TCP" : "UNIX") + "Port(" +
         describe(host_) + ")";
}

void UringStreamPort::startAccept() {
  if (!listening_ || fd_ < 0 || inFlight_ > 0) return;
  multishot_ = port_.multishotAccept();
  ++inFlight_;
  acceptId_ = port_.start(
      std::make_unique<CompletionOperation>(
          *this,
          [self = shared_from_this()](std::uint32_t error, std::uint32_t result) {
            const bool more = (self->port_.cqeFlags() & IORING_CQE_F_MORE) != 0;
            if (!more) --self->inFlight_;
            self->acceptDone(error, result, more);
          }),
      [this](io_uring_sqe& sqe) {
        if (multishot_) {
          // One request for every client to come; no address buffer, since
          // every CQE would share it.
          io_uring_prep_multishot_accept(&sqe, fd_, nullptr, nullptr, kAcceptFlags);
          return;
        }
        peerLength_ = sizeof peer_;
        io_uring_prep_accept(&sqe, fd_, reinterpret_cast<sockaddr*>(&peer_), &peerLength_,
                             kAcceptFlags);
      });
}

void UringStreamPort::acceptDone(std::uint32_t error, std::uint32_t result, bool more) {
  if (error == 0) {
    const int fd = static_cast<int>(result);
    if (!listening_) {
      // Accepted by the kernel before the cancel took effect: a readiness
      // port closing its socket would have refused this client too.
      closeSocket(fd);
    } else if (!held_.empty() || overDescriptorLimit(fd)) {
      // Past the limit: keep the client (and any after it, in order) until
      // descriptors are available again, as EMFILE would have kept it in
      // the backlog, and stop asking the kernel for more.
      held_.push_back(fd);
      if (!retry_.active()) {
        if (more) port_.cancel(acceptId_);
        retryLater(EMFILE);
      }
    } else {
      retryDelay_ = 0;
      serve(fd);
    }
  }
  if (more) return;
  // The request has ended: its final CQE, or an error.
  if (!listening_) {
    finishStop();
    return;
  }
  if (retry_.active()) return;  // backing off: the retry asks again
  const int e = static_cast<int>(error);
  if (e == 0 || e == ECANCELED || isTransientAcceptError(e)) {
    // A single-shot accept, a multishot one the kernel ended (CQ overflow,
    // the submitting thread exited), or a client gone before we took it.
    startAccept();
  } else if (multishot_ && e == EINVAL) {
    port_.multishotAcceptRefused();
    startAccept();
  } else if (isOutOfResources(e)) {
    retryLater(e);
  } else {
    // Unexpected; asking again at once could spin on it.
    log::err("net", logPrefix() + ": accept: " + socketErrorText(e));
    retryLater(e);
  }
}

void UringStreamPort::serve(int fd) {
  Address peer = Address::unixSocket("");
  if (kind_ == StreamKind::kTcp) {
    if (multishot_) {
      SockAddr a;
      a.len = sizeof a.storage;
      if (::getpeername(fd, a.get(), &a.len) == 0)
        peer = toAddress(a.get(), a.len, "TCP");
    } else {
      peer = toAddress(reinterpret_cast<const sockaddr*>(&peer_), peerLength_, "TCP");
    }
  }
  std::shared_ptr<Protocol> protocol = buildServerProtocol(*factory_, peer, logPrefix());
  if (!protocol) {
    // Refused (Twisted N1): close gracefully.
    closeSocket(fd);
    return;
  }
  auto conn = std::make_shared<UringStreamConnection>(reactor_, port_, fd,
                                                      std::move(protocol), kind_);
  if (absl::Status s = StreamTransport::start(conn); !s.ok()) {
    log::err("net", logPrefix() +
                        ": cannot serve a new connection: " + std::string(s.message()));
  }
}

void UringStreamPort::completionFailed(std::exception_ptr) {
  // acceptDone threw before it asked for the next client: carry on.
  if (listening_ && !retry_.active()) startAccept();
}

void UringStreamPort::retryLater(int error) {
  // Out of descriptors: an accept would fail at once again. Ask later; the
  // connections we have go on, clients wait in the backlog meanwhile
  // (net/stream_port.cc does the same).
  retryDelay_ =
      retryDelay_ == 0 ? kFirstRetryDelay : std::min(retryDelay_ * 2, kMaxRetryDelay);
  log::warn("net", logPrefix() + ": accept: " + socketErrorText(error) +
                       "; not accepting for " + std::to_string(retryDelay_) + " s");
  retry_ = reactor_.callLater(Seconds(retryDelay_), [this] {
    retry_ = DelayedCall();
    serveHeld();
  });
}

void UringStreamPort::serveHeld() {
  while (!held_.empty()) {
    if (overDescriptorLimit(held_.front())) {
      retryLater(EMFILE);
      return;
    }
    const int fd = held_.front();
    held_.pop_front();
    retryDelay_ = 0;
    serve(fd);
    if (!listening_) return;  // the factory stopped listening
  }
  startAccept();
}

Deferred<void> UringStreamPort::stopListening() {
  if (stopping_ || finished_) return succeed();
  stopping_ = true;
  shutdownHook_.disarm();
  Deferred<void> done;
  stopped_ = done;
  // Close now, so the address can be bound again at once; the factory and
  // the caller hear of it once the cancelled accept has completed (or on
  // the next pass if none is out): never re-entrantly.
  closeListener();
  if (inFlight_ == 0) {
    reactor_.callSoon([self = shared_from_this()] { self->finishStop(); });
  }
  return done;
}

void UringStreamPort::closeListener() {
  listening_ = false;
  if (retry_.active()) retry_.cancel();
  retry_ = DelayedCall();
  for (int fd : held_) closeSocket(fd);
  held_.clear();
  if (fd_ < 0) return;
  if (inFlight_ > 0) {
    // A live request holds the file: without this the socket would go on
    // listening (and holding its address) until the next poll.
    port_.cancel(acceptId_);
    port_.flush();
  }
  closeSocket(fd_);
  fd_ = -1;
  if (!unlinkPath_.empty()) ::unlink(unlinkPath_.c_str());
  releaseAfterUnlink_.reset();
}

void UringStreamPort::finishStop() {
  if (finished_ || !stopping_) return;
  finished_ = true;
  std::shared_ptr<UringStreamPort> keep = std::move(self_);
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
