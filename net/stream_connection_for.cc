#include "net/stream_connection_for.h"

#include <utility>

#include "net/stream_connection.h"
#include "net/stream_port.h"

#ifdef __linux__
#include "backends/io_uring_port.h"
#include "net/uring/uring_stream_connection.h"
#include "net/uring/uring_stream_port.h"
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

absl::StatusOr<std::shared_ptr<ListeningPort>> startStreamPort(
    Reactor& reactor, int fd, std::shared_ptr<Factory> factory, StreamKind kind,
    std::string unlinkPath, std::shared_ptr<void> releaseAfterUnlink) {
#ifdef __linux__
  if (IoUringPort* port = ioUringPortOf(reactor.completionPort())) {
    auto p = std::make_shared<UringStreamPort>(reactor, *port, fd, std::move(factory),
                                               kind, std::move(unlinkPath),
                                               std::move(releaseAfterUnlink));
    if (absl::Status s = UringStreamPort::start(p); !s.ok()) return s;
    return std::shared_ptr<ListeningPort>(std::move(p));
  }
#endif
  auto p =
      std::make_shared<StreamPort>(reactor, fd, std::move(factory), kind,
                                   std::move(unlinkPath), std::move(releaseAfterUnlink));
  if (absl::Status s = StreamPort::start(p); !s.ok()) return s;
  return std::shared_ptr<ListeningPort>(std::move(p));
}

}  // namespace torsion::net::internal
