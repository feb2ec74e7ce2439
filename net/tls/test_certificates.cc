#include "net/tls/test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>

namespace torsion::net::tls {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

EVP_PKEY* newKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `subjectKey`, issued by `issuer` signing with
// `issuerKey` (issuer null: self-signed).
X509* makeCertificate(std::string_view commonName, EVP_PKEY* subjectKey, X509* issuer,
                      EVP_PKEY* issuerKey, bool isCA, Validity validity) {
  X509* cert = X509_new();
  check(cert != nullptr, "X509_new");
  X509_set_version(cert, X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert), validity.validFromSeconds);
  X509_gmtime_adj(X509_getm_notAfter(cert),
                  validity.validFromSeconds + validity.validForSeconds);
  X509_set_pubkey(cert, subjectKey);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(commonName.data()),
                             static_cast<int>(commonName.size()), -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(signer));
  if (isCA) {
    addExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    std::string san = "DNS:" + std::string(commonName) + ",IP:127.0.0.1";
    addExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, signer, NID_subject_alt_name, san.c_str());
    addExtension(cert, signer, NID_ext_key_usage, "serverAuth");
  }
  addExtension(cert, signer, NID_subject_key_identifier, "hash");
  check(X509_sign(cert, issuerKey, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string toPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string toPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

}  // namespace

TestCertificateAuthority::TestCertificateAuthority(std::string_view commonName)
    : key_(newKey()),
      certificate_(makeCertificate(commonName, key_, nullptr, key_, /*isCA=*/true, {})),
      certificatePem_(toPem(certificate_)) {}

TestCertificateAuthority::~TestCertificateAuthority() {
  X509_free(certificate_);
  EVP_PKEY_free(key_);
}

CertificateAndKey TestCertificateAuthority::issue(std::string_view dnsName,
                                                  Validity validity) const {
  EVP_PKEY* key = newKey();
  X509* cert =
      makeCertificate(dnsName, key, certificate_, key_, /*isCA=*/false, validity);
  CertificateAndKey result{toPem(cert), toPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return result;
}

CertificateAndKey selfSigned(std::string_view dnsName) {
  EVP_PKEY* key = newKey();
  X509* cert = makeCertificate(dnsName, key, nullptr, key, /*isCA=*/false, {});
  CertificateAndKey result{toPem(cert), toPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return result;
}

}  // namespace torsion::net::tls
