#include "benchmarks/tls_echo_context.h"

#include "net/tls/test_certificates.h"

namespace torsion::bench {

absl::StatusOr<std::shared_ptr<net::tls::ContextFactory>> echoServerContext() {
  const net::tls::CertificateAndKey pem = net::tls::selfSigned("localhost");
  return net::tls::CertificateOptions::fromPem(pem.certificatePem, pem.privateKeyPem);
}

}  // namespace torsion::bench
