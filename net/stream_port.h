// torsion/net/stream_port.h: a listening stream socket (TCP or Unix) that
// accepts connections for a Factory (internal).
//
// Mirrors twisted.internet.tcp.Port (and unix.Port): accept up to 100
// connections per readiness event, build a protocol per connection with
// factory.buildProtocol(peer) (null: close it), start the connection.
// doStart/doStop bracket the port's life on the factory.
//
// File descriptors running out (EMFILE, ENFILE, ENOBUFS, ENOMEM from
// accept) must neither spin nor crash: the port stops watching the
// listening socket and retries after a delay that doubles from 10 ms up to
// 1 s, while established connections keep being served; pending clients
// wait in the kernel's backlog meanwhile. See docs/net.md.
//
//   auto port = std::make_shared<internal::StreamPort>(reactor, fd, factory,
//                                                      StreamKind::kTcp);
//   absl::Status s = internal::StreamPort::start(port);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_PORT_H_
#define TORSION_NET_STREAM_PORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "base/delayed_call.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

class StreamPort final : public FileDescriptor,
                         public ListeningPort,
                         public std::enable_shared_from_this<StreamPort> {
 public:
  // Takes ownership of `fd`, a bound, listening, non-blocking socket.
  // `unlinkPath`: a Unix socket file to remove when the port closes.
  // `releaseAfterUnlink`: kept until then, and dropped right after the
  // file is removed (listenUNIX's wantPID lock).
  StreamPort(Reactor& reactor, int fd, std::shared_ptr<Factory> factory, StreamKind kind,
             std::string unlinkPath = {},
             std::shared_ptr<void> releaseAfterUnlink = nullptr);
  ~StreamPort() override;

  // Starts accepting: factory->doStart(), register for reading, keep the
  // port alive until it stops. On error the socket is closed.
  static absl::Status start(const std::shared_ptr<StreamPort>& port);

  // ListeningPort.
  Deferred<void> stopListening() override;
  Address getHost() const override { return host_; }

  // FileDescriptor.
  int fileno() const override { return fd_; }
  LostReason doRead() override;
  void connectionLost(const LostReason& reason) override;
  std::string logPrefix() const override;

 private:
  void close();
  void pauseAccepting(int error);

  Reactor& reactor_;
  int fd_;
  std::shared_ptr<Factory> factory_;
  StreamKind kind_;
  std::string unlinkPath_;
  std::shared_ptr<void> releaseAfterUnlink_;
  Address host_;
  std::shared_ptr<StreamPort> self_;
  DelayedCall retry_;
  double retryDelay_ = 0;
  bool listening_ = false;
  bool stopped_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_PORT_H_
