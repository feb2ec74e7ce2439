// torsion/net/tls/tls_endpoints.h: TLS endpoints and their description strings.
//
// Mirrors twisted.internet.endpoints' SSL4ServerEndpoint ("ssl:" server
// strings) and the "tls:" client strings of Twisted 22.4 (hostname
// verification on, against the system CA store or trustRoots).
//
//   auto server = torsion::net::tls::serverFromString(reactor,
//       "ssl:8443:privateKey=key.pem:certKey=cert.pem:interface=127.0.0.1");
//   auto client = torsion::net::tls::clientFromString(reactor,
//       "tls:example.com:443");
//
// Grammar (Twisted's keyword names); every other type is passed on to
// net::serverFromString / net::clientFromString unchanged:
//   server  ssl:PORT[:privateKey=PEM][:certKey=PEM][:extraCertChain=PEM]
//               [:interface=IP][:backlog=N]
//           privateKey defaults to server.pem, certKey to privateKey's file
//           (one PEM holding both), as in Twisted.
//   client  tls:HOST:PORT | tls:host=HOST:port=PORT
//               [:timeout=S][:bindAddress=IP][:trustRoots=PATH]
//           The certificate must be valid for HOST. trustRoots: a PEM file,
//           or a directory whose *.pem files are read; default: the
//           system's CA store.
// Twisted's client certificates (certificate=, privateKey= on tls:) and
// the unverified "ssl:" client are not offered. Errors are
// InvalidArgumentError quoting the description and naming the bad part or
// the file that failed to load.
//
// Thread-safety: parsing is pure; endpoints are used on the reactor thread.
#ifndef TORSION_NET_TLS_TLS_ENDPOINTS_H_
#define TORSION_NET_TLS_TLS_ENDPOINTS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "net/endpoints.h"
#include "net/tls/context.h"

namespace torsion::net::tls {

struct SslServerSpec {
  TcpServerSpec tcp;
  std::string privateKey = "server.pem";
  std::string certKey;  // empty: privateKey's file
  std::optional<std::string> extraCertChain;
  friend bool operator==(const SslServerSpec&, const SslServerSpec&) = default;
};

struct TlsClientSpec {
  TcpClientSpec tcp;
  std::optional<std::string> trustRoots;
  friend bool operator==(const TlsClientSpec&, const TlsClientSpec&) = default;
};

// Pure parsers of "ssl:" and "tls:" descriptions (any other type is
// InvalidArgumentError here).
absl::StatusOr<SslServerSpec> parseSslServerSpec(std::string_view description);
absl::StatusOr<TlsClientSpec> parseTlsClientSpec(std::string_view description);

// Listens with TCP and wraps each connection in TLS.
class SSL4ServerEndpoint : public StreamServerEndpoint {
 public:
  SSL4ServerEndpoint(std::shared_ptr<StreamNetwork> network, TcpServerSpec spec,
                     std::shared_ptr<ContextFactory> context);
  Deferred<std::shared_ptr<ListeningPort>> listen(
      std::shared_ptr<Factory> factory) override;

 private:
  TCP4ServerEndpoint tcp_;
  std::shared_ptr<ContextFactory> context_;
};

// Connects with TCP and runs TLS over it; connect() fires with the
// application's protocol (Twisted's wrapClientTLS), once connectionMade
// ran: before the handshake, whose failure reaches connectionLost.
class TLSClientEndpoint : public StreamClientEndpoint {
 public:
  TLSClientEndpoint(std::shared_ptr<StreamNetwork> network, TcpClientSpec spec,
                    std::shared_ptr<ContextFactory> context);
  Deferred<std::shared_ptr<Protocol>> connect(std::shared_ptr<Factory> factory) override;

 private:
  TCP4ClientEndpoint tcp_;
  std::shared_ptr<ContextFactory> context_;
};

// net::serverFromString / clientFromString plus "ssl:" / "tls:".
absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description);
absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description);
absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    Reactor& reactor, std::string_view description);
absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    Reactor& reactor, std::string_view description);

}  // namespace torsion::net::tls

#endif  // TORSION_NET_TLS_TLS_ENDPOINTS_H_
