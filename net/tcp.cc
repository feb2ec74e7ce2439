#include "net/tcp.h"

#include <cerrno>
#include <stdexcept>
#include <string>
#include <utility>

#include "net/listen_socket.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/stream_connector.h"
#include "net/stream_port.h"

#ifdef _WIN32
#include "net/iocp/iocp_net.h"
#endif

namespace torsion::net {

absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(Reactor& reactor,
                                                         std::uint16_t port,
                                                         std::shared_ptr<Factory> factory,
                                                         ListenOptions options) {
  if (absl::Status s = internal::checkListenName("interface", options.interface, port);
      !s.ok()) {
    return s;
  }
#ifdef _WIN32
  // A completion backend (IOCP) reports no readiness: its own transports
  // serve this reactor (net/iocp/).
  if (reactor.backend().features().completionModel) {
    return internal::iocpListenTCP(reactor, port, std::move(factory), options.backlog,
                                   options.interface);
  }
#endif
  if (!factory) return absl::InvalidArgumentError("listenTCP: null factory");
  absl::StatusOr<internal::SockAddr> address =
      internal::ipLiteral(options.interface, port);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        CannotListenError(options.interface, port,
                          std::string(address.status().message()))
            .what());
  }
  absl::StatusOr<int> fd =
      internal::bindSocket(*address, SOCK_STREAM, options.interface, port, true);
  if (!fd.ok()) return fd.status();
  if (absl::Status s =
          internal::listenSocket(*fd, options.backlog, options.interface, port);
      !s.ok()) {
    return s;
  }
  auto p = std::make_shared<internal::StreamPort>(reactor, *fd, std::move(factory),
                                                  internal::StreamKind::kTcp);
  if (absl::Status s = internal::StreamPort::start(p); !s.ok()) {
    return internal::cannotListen(EINVAL, options.interface, port,
                                  std::string(s.message()));
  }
  return std::shared_ptr<ListeningPort>(std::move(p));
}

std::shared_ptr<Connector> connectTCP(Reactor& reactor, std::string_view host,
                                      std::uint16_t port,
                                      std::shared_ptr<ClientFactory> factory,
                                      ConnectOptions options) {
#ifdef _WIN32
  if (reactor.backend().features().completionModel) {
    std::optional<std::pair<std::string, std::uint16_t>> bind;
    if (options.bindAddress)
      bind.emplace(options.bindAddress->host, options.bindAddress->port);
    return internal::iocpConnectTCP(reactor, host, port, std::move(factory),
                                    options.timeout, std::move(bind));
  }
#endif
  if (!factory) throw std::invalid_argument("connectTCP: null factory");
  internal::ConnectTarget target;
  target.kind = internal::StreamKind::kTcp;
  target.host = std::string(host);
  target.port = port;
  if (options.bindAddress) {
    target.bindAddress.emplace(options.bindAddress->host, options.bindAddress->port);
  }
  auto c = std::make_shared<internal::StreamConnector>(
      reactor, std::move(target), std::move(factory), options.timeout);
  c->connect();
  return c;
}

}  // namespace torsion::net
