#include "net/tcp.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "net/listen_socket.h"
#include "net/transports_for.h"

namespace torsion::net {

absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(Reactor& reactor,
                                                         std::uint16_t port,
                                                         std::shared_ptr<Factory> factory,
                                                         ListenOptions options) {
  if (absl::Status s = internal::checkListenName("interface", options.interface, port);
      !s.ok()) {
    return s;
  }
  if (!factory) return absl::InvalidArgumentError("listenTCP: null factory");
  return internal::transportsFor(reactor).listenTCP(reactor, port, std::move(factory),
                                                    options.backlog, options.interface);
}

std::shared_ptr<Connector> connectTCP(Reactor& reactor, std::string_view host,
                                      std::uint16_t port,
                                      std::shared_ptr<ClientFactory> factory,
                                      ConnectOptions options) {
  if (!factory) throw std::invalid_argument("connectTCP: null factory");
  internal::BindTo bindTo;
  if (options.bindAddress)
    bindTo.emplace(options.bindAddress->host, options.bindAddress->port);
  return internal::transportsFor(reactor).connectTCP(
      reactor, host, port, std::move(factory), options.timeout, std::move(bindTo));
}

}  // namespace torsion::net
