// torsion/net/uring/uring_stream_port.h: a listening stream socket (TCP or
// Unix) that accepts through io_uring completions (internal).
//
// The counterpart of net/stream_port.h (twisted.internet.tcp.Port) on the
// io_uring backend's port (backends/io_uring_port.h): instead of a
// readiness event followed by accept(2) calls, one multishot
// IORING_OP_ACCEPT stays armed and the kernel posts one CQE per client,
// with the client's descriptor already made (non-blocking, close-on-exec).
// Where the kernel refuses multishot accepts (before Linux 5.19, or
// TORSION_IO_URING_OFF=accept_multishot) one accept at a time, asked again
// after each. What a listener does with a client is StreamPort's: the
// factory builds a protocol for the peer (null: the client is closed), an
// io_uring connection (uring_stream_connection.h) serves it.
//
// Descriptors running out (EMFILE, ENFILE, ENOBUFS, ENOMEM) end the accept
// request; it is asked again after a delay that doubles from 10 ms up to
// 1 s, and clients wait in the kernel's backlog meanwhile, as on readiness.
// The kernel reads RLIMIT_NOFILE when a request is prepared, so after the
// limit is lowered an armed request may still make descriptors above it:
// such a client is held (not served, not closed) as if accept(2) had said
// EMFILE, and served, in order, once the limit allows.
//
// stopListening() cancels the accept, submits the cancel at once (a live
// request holds the file, so the address would stay bound) and closes the
// socket; the factory is stopped and the Deferred fires once the cancelled
// request's last completion has arrived, so none is left behind. A client
// the kernel accepted before the cancel took effect is closed. Reactor
// shutdown stops the factory at once, as it does for a readiness port.
//
//   auto port = std::make_shared<internal::UringStreamPort>(reactor, *ioPort, fd,
//                                                           factory, StreamKind::kTcp);
//   absl::Status s = internal::UringStreamPort::start(port);
//
// Linux only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_URING_URING_STREAM_PORT_H_
#define TORSION_NET_URING_URING_STREAM_PORT_H_

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "backends/io_uring_port.h"
#include "base/delayed_call.h"
#include "core/reactor.h"
#include "deferred/deferred.h"
#include "net/completion_support.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

class UringStreamPort final : public ListeningPort,
                              public CompletionOwner,
                              public std::enable_shared_from_this<UringStreamPort> {
 public:
  // Takes ownership of `fd`, a bound, listening, non-blocking socket.
  // `unlinkPath`: a Unix socket file to remove when the port closes.
  // `releaseAfterUnlink`: kept until then, and dropped right after the
  // file is removed (listenUNIX's wantPID lock).
  UringStreamPort(Reactor& reactor, IoUringPort& port, int fd,
                  std::shared_ptr<Factory> factory, StreamKind kind,
                  std::string unlinkPath = {},
                  std::shared_ptr<void> releaseAfterUnlink = nullptr);
  ~UringStreamPort() override;

  // factory->doStart(), the first accept request, keep the port alive
  // until it stops. Cannot fail: the request is only queued.
  static absl::Status start(const std::shared_ptr<UringStreamPort>& port);

  // ListeningPort.
  Deferred<void> stopListening() override;
  Address getHost() const override { return host_; }

  // CompletionOwner.
  std::string logPrefix() const override;
  // A completion threw (the factory, or the new connection's start): the
  // listener carries on, as a readiness port whose doRead threw does.
  void completionFailed(std::exception_ptr error) override;

  // ---- For white-box tests -----------------------------------------------------
  // Accept requests started and not yet finished (0 or 1).
  int operationsInFlight() const { return inFlight_; }
  // Whether the request in flight is a multishot one.
  bool multishot() const { return multishot_; }

 private:
  void startAccept();
  // One CQE of the accept request: `result` is the new descriptor when
  // `error` is 0. `more`: the (multishot) request goes on.
  void acceptDone(std::uint32_t error, std::uint32_t result, bool more);
  void serve(int fd);
  void retryLater(int error);
  // Serves the clients held back by the descriptor limit, then asks the
  // kernel for more (or backs off again if the limit still holds).
  void serveHeld();
  void closeListener();
  void finishStop();

  Reactor& reactor_;
  IoUringPort& port_;
  int fd_;
  std::shared_ptr<Factory> factory_;
  StreamKind kind_;
  std::string unlinkPath_;
  std::shared_ptr<void> releaseAfterUnlink_;
  Address host_;
  std::shared_ptr<UringStreamPort> self_;
  ShutdownHook shutdownHook_;
  DelayedCall retry_;
  double retryDelay_ = 0;
  std::optional<Deferred<void>> stopped_;  // stopListening() waits on the cancel
  // Clients the kernel accepted past the descriptor limit, in order.
  std::deque<int> held_;
  // Where a single-shot accept puts the peer's address (a multishot one
  // names none: every CQE would share it, so getpeername() is asked).
  sockaddr_storage peer_{};
  socklen_t peerLength_ = 0;
  std::uint64_t acceptId_ = 0;
  int inFlight_ = 0;
  bool multishot_ = false;
  bool listening_ = false;
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_URING_URING_STREAM_PORT_H_
