// torsion/net/tls/context.h: what a TLS connection is configured from.
//
// Mirrors twisted.internet.ssl's CertificateOptions (a server's certificate
// and private key) and optionsForClientTLS (a client that trusts the
// system's CA store, or given roots, and verifies the server's hostname).
//
//   auto server = torsion::net::tls::CertificateOptions::fromFiles(
//       "cert.pem", "key.pem");
//   auto client = torsion::net::tls::optionsForClientTLS("example.com");
//
// Each returns a Status naming the file or the OpenSSL reason on bad input.
// A context is shared by every connection it makes (an SSL_CTX is
// reference counted and safe to share on one thread).
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TLS_CONTEXT_H_
#define TORSION_NET_TLS_CONTEXT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace torsion::net::tls {

class ContextFactory {
 public:
  ~ContextFactory();
  ContextFactory(const ContextFactory&) = delete;
  ContextFactory& operator=(const ContextFactory&) = delete;

  // A new connection's SSL object, in connect (client) or accept (server)
  // state, with the hostname to verify set; owned by the caller (SSL_free).
  SSL* newConnection() const;
  bool isClient() const { return client_; }
  // The name the server's certificate must carry (clients only).
  const std::string& hostname() const { return hostname_; }

  // --- used by the builders below ---
  ContextFactory(SSL_CTX* ctx, bool client, std::string hostname);

 private:
  SSL_CTX* ctx_;
  bool client_;
  std::string hostname_;
};

// A server's context: a PEM certificate chain (leaf first) and its PEM
// private key. InvalidArgument names what failed to load, and says so if
// the key does not match the certificate.
struct CertificateOptions {
  static absl::StatusOr<std::shared_ptr<ContextFactory>> fromPem(
      std::string_view certificateChainPem, std::string_view privateKeyPem);
  static absl::StatusOr<std::shared_ptr<ContextFactory>> fromFiles(
      const std::string& certificatePath, const std::string& privateKeyPath);
};

// A client's context that verifies the server: its chain must lead to
// `trustRootPem` (one or more PEM CA certificates) or, if nullopt, to the
// system's default CA store, and it must be issued for `hostname` (a DNS
// name, or an IP literal checked against the IP SANs). The hostname is
// also sent as SNI unless it is an IP literal. An empty hostname is
// InvalidArgument: verification is not optional here, as in Twisted.
absl::StatusOr<std::shared_ptr<ContextFactory>> optionsForClientTLS(
    std::string_view hostname, std::optional<std::string> trustRootPem = std::nullopt);

// The contents of a PEM file; InvalidArgument "TLS: cannot read <what>
// <path>" if it cannot be read.
absl::StatusOr<std::string> readPemFile(const std::string& path, std::string_view what);

// The OpenSSL error queue as text ("SSL routines::certificate verify
// failed; ..."), emptied; `fallback` if it was empty.
std::string drainErrors(std::string_view fallback);

}  // namespace torsion::net::tls

#endif  // TORSION_NET_TLS_CONTEXT_H_
