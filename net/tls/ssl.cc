#include "net/tls/ssl.h"

#include <stdexcept>
#include <utility>

#include "absl/status/status.h"
#include "net/tls/tls_protocol.h"

namespace torsion::net::tls {

absl::StatusOr<std::shared_ptr<ListeningPort>> listenSSL(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory,
    std::shared_ptr<ContextFactory> contextFactory, ListenOptions options) {
  if (contextFactory == nullptr || factory == nullptr) {
    return absl::InvalidArgumentError("listenSSL needs a factory and a context");
  }
  if (contextFactory->isClient()) {
    return absl::InvalidArgumentError(
        "listenSSL needs a server context (CertificateOptions)");
  }
  auto wrapped = std::make_shared<TLSMemoryBIOFactory>(std::move(contextFactory),
                                                       std::move(factory));
  return listenTCP(reactor, port, std::move(wrapped), std::move(options));
}

std::shared_ptr<Connector> connectSSL(Reactor& reactor, std::string_view host,
                                      std::uint16_t port,
                                      std::shared_ptr<ClientFactory> factory,
                                      std::shared_ptr<ContextFactory> contextFactory,
                                      ConnectOptions options) {
  if (contextFactory == nullptr || factory == nullptr) {
    throw std::invalid_argument("connectSSL needs a factory and a context");
  }
  if (!contextFactory->isClient()) {
    throw std::invalid_argument(
        "connectSSL needs a client context (optionsForClientTLS)");
  }
  auto wrapped = std::make_shared<TLSMemoryBIOFactory>(std::move(contextFactory),
                                                       std::move(factory));
  return connectTCP(reactor, host, port, std::move(wrapped), std::move(options));
}

}  // namespace torsion::net::tls
