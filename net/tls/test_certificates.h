// torsion/net/tls/test_certificates.h: certificates made in memory for tests.
//
// A CA, and certificates it (or nobody) signs, with OpenSSL's API: no files,
// no fixed dates. Keys are P-256, quick to generate.
//
//   auto ca = torsion::net::tls::TestCertificateAuthority("Test CA");
//   auto server = ca.issue("localhost");              // DNS:localhost, IP:127.0.0.1
//   auto expired = ca.issue("localhost", {.validFromSeconds = -7200,
//                                         .validForSeconds = 3600});
//
// testonly (target //net/tls:test_certificates). Thread-safety: none.
#ifndef TORSION_NET_TLS_TEST_CERTIFICATES_H_
#define TORSION_NET_TLS_TEST_CERTIFICATES_H_

#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace torsion::net::tls {

struct CertificateAndKey {
  std::string certificatePem;
  std::string privateKeyPem;
};

struct Validity {
  // Seconds from now the certificate becomes, and then stays, valid.
  long validFromSeconds = -3600;
  long validForSeconds = 24 * 3600;
};

class TestCertificateAuthority {
 public:
  explicit TestCertificateAuthority(std::string_view commonName);
  ~TestCertificateAuthority();
  TestCertificateAuthority(const TestCertificateAuthority&) = delete;
  TestCertificateAuthority& operator=(const TestCertificateAuthority&) = delete;

  // The CA's own certificate: the trust root to give clients.
  const std::string& certificatePem() const { return certificatePem_; }

  // A server certificate for `dnsName` (also its common name) and the
  // loopback address 127.0.0.1, signed by this CA.
  CertificateAndKey issue(std::string_view dnsName, Validity validity = {}) const;

 private:
  EVP_PKEY* key_;
  X509* certificate_;
  std::string certificatePem_;
};

// A certificate for `dnsName` and 127.0.0.1 signed by its own key.
CertificateAndKey selfSigned(std::string_view dnsName);

}  // namespace torsion::net::tls

#endif  // TORSION_NET_TLS_TEST_CERTIFICATES_H_
