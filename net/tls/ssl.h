// torsion/net/tls/ssl.h: TLS servers and clients over TCP.
//
// Mirrors twisted.internet.interfaces.IReactorSSL (listenSSL, connectSSL):
// listenTCP / connectTCP with the factory wrapped in a TLSMemoryBIOFactory,
// so every backend that carries TCP carries TLS.
//
//   auto context = torsion::net::tls::CertificateOptions::fromFiles("cert.pem",
//   "key.pem"); auto port = torsion::net::tls::listenSSL(reactor, 8443, factory,
//   *context); auto client = torsion::net::tls::optionsForClientTLS("localhost");
//   torsion::net::tls::connectSSL(reactor, "127.0.0.1", 8443, clientFactory, *client);
//
// A null context is std::invalid_argument; a server (client) context
// given to connectSSL (listenSSL) is InvalidArgument / invalid_argument.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TLS_SSL_H_
#define TORSION_NET_TLS_SSL_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/tcp.h"
#include "net/tls/context.h"

namespace torsion::net::tls {

absl::StatusOr<std::shared_ptr<ListeningPort>> listenSSL(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory,
    std::shared_ptr<ContextFactory> contextFactory, ListenOptions options = {});

std::shared_ptr<Connector> connectSSL(Reactor& reactor, std::string_view host,
                                      std::uint16_t port,
                                      std::shared_ptr<ClientFactory> factory,
                                      std::shared_ptr<ContextFactory> contextFactory,
                                      ConnectOptions options = {});

}  // namespace torsion::net::tls

#endif  // TORSION_NET_TLS_SSL_H_
