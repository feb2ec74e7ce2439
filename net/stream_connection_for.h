// torsion/net/stream_connection_for.h: the connected stream transport a
// listener or connector hands a new socket to (internal): on the io_uring
// backend's completion port the io_uring connection (net/uring/), which
// moves bytes with completions; elsewhere the readiness connection
// (net/stream_connection.h). The choice depends only on the reactor's
// backend, fixed for the reactor's life.
//
//   std::shared_ptr<StreamTransport> conn =
//       internal::streamConnectionFor(reactor, fd, protocol, StreamKind::kTcp);
//   absl::Status s = internal::StreamTransport::start(conn);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_CONNECTION_FOR_H_
#define TORSION_NET_STREAM_CONNECTION_FOR_H_

#include <memory>

#include "core/reactor.h"
#include "net/protocol.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

// Takes ownership of `fd`, a connected non-blocking stream socket.
std::shared_ptr<StreamTransport> streamConnectionFor(Reactor& reactor, int fd,
                                                     std::shared_ptr<Protocol> protocol,
                                                     StreamKind kind);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_CONNECTION_FOR_H_
