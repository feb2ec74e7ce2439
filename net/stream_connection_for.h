// torsion/net/stream_connection_for.h: the stream transport and the
// listening port a socket is handed to (internal): on the io_uring
// backend's completion port the io_uring ones (net/uring/), which move
// bytes and accept clients with completions; elsewhere the readiness ones
// (net/stream_connection.h, net/stream_port.h). The choice depends only on
// the reactor's backend, fixed for the reactor's life.
//
//   std::shared_ptr<StreamTransport> conn =
//       internal::streamConnectionFor(reactor, fd, protocol, StreamKind::kTcp);
//   absl::Status s = internal::StreamTransport::start(conn);
//   absl::StatusOr<std::shared_ptr<ListeningPort>> port =
//       internal::startStreamPort(reactor, listeningFd, factory, StreamKind::kTcp);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_CONNECTION_FOR_H_
#define TORSION_NET_STREAM_CONNECTION_FOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

// Takes ownership of `fd`, a connected non-blocking stream socket.
std::shared_ptr<StreamTransport> streamConnectionFor(Reactor& reactor, int fd,
                                                     std::shared_ptr<Protocol> protocol,
                                                     StreamKind kind);

// Takes ownership of `fd`, a bound, listening, non-blocking stream socket,
// and starts accepting on it (StreamPort's arguments, net/stream_port.h).
// On error the socket is closed and the error returned.
absl::StatusOr<std::shared_ptr<ListeningPort>> startStreamPort(
    Reactor& reactor, int fd, std::shared_ptr<Factory> factory, StreamKind kind,
    std::string unlinkPath = {}, std::shared_ptr<void> releaseAfterUnlink = nullptr);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_CONNECTION_FOR_H_
