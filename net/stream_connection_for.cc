#include "net/stream_connection_for.h"

#include <utility>

#include "net/stream_connection.h"

#ifdef __linux__
#include "backends/io_uring_port.h"
#include "net/uring/uring_stream_connection.h"
#endif

namespace torsion::net::internal {

std::shared_ptr<StreamTransport> streamConnectionFor(Reactor& reactor, int fd,
                                                     std::shared_ptr<Protocol> protocol,
                                                     StreamKind kind) {
#ifdef __linux__
  if (IoUringPort* port = ioUringPortOf(reactor.completionPort())) {
    return std::make_shared<UringStreamConnection>(reactor, *port, fd,
                                                   std::move(protocol), kind);
  }
#endif
  return std::make_shared<StreamConnection>(reactor, fd, std::move(protocol), kind);
}

}  // namespace torsion::net::internal
