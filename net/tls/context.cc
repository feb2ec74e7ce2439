#include "net/tls/context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"

namespace torsion::net::tls {
namespace {

absl::Status loadError(std::string_view what) {
  return absl::InvalidArgumentError("TLS: " + std::string(what) + ": " +
                                    drainErrors("no OpenSSL reason"));
}

bool isIpLiteral(std::string_view host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(std::string(host).c_str());
  if (ip == nullptr) {
    ERR_clear_error();
    return false;
  }
  ASN1_OCTET_STRING_free(ip);
  return true;
}

SSL_CTX* newContext(bool client) {
  SSL_CTX* ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // The wrapper writes what SSL_write accepted and retries with the same
  // bytes only through its own buffer, so partial writes are fine.
  SSL_CTX_set_mode(ctx,
                   SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

absl::StatusOr<std::string> readPemFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError("TLS: cannot read " + std::string(what) + " " +
                                      path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string drainErrors(std::string_view fallback) {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string(fallback) : text;
}

ContextFactory::ContextFactory(SSL_CTX* ctx, bool client, std::string hostname)
    : ctx_(ctx), client_(client), hostname_(std::move(hostname)) {}

ContextFactory::~ContextFactory() { SSL_CTX_free(ctx_); }

SSL* ContextFactory::newConnection() const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (!client_) {
    SSL_set_accept_state(ssl);
    return ssl;
  }
  SSL_set_connect_state(ssl);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (isIpLiteral(hostname_)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, hostname_.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, hostname_.c_str(), hostname_.size());
    SSL_set_tlsext_host_name(ssl, hostname_.c_str());
  }
  return ssl;
}

absl::StatusOr<std::shared_ptr<ContextFactory>> CertificateOptions::fromPem(
    std::string_view certificateChainPem, std::string_view privateKeyPem) {
  SSL_CTX* ctx = newContext(/*client=*/false);
  if (ctx == nullptr) return loadError("cannot create a context");
  auto factory = std::make_shared<ContextFactory>(ctx, false, "");

  BIO* certs = BIO_new_mem_buf(certificateChainPem.data(),
                               static_cast<int>(certificateChainPem.size()));
  X509* leaf = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr);
  bool ok = leaf != nullptr && SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  while (ok) {
    X509* extra = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr);
    if (extra == nullptr) {
      ERR_clear_error();  // the end of the chain reads as "no start line"
      break;
    }
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      ok = false;
    }
  }
  BIO_free(certs);
  if (!ok) return loadError("cannot load the certificate");

  BIO* keyText =
      BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(keyText, nullptr, nullptr, nullptr);
  BIO_free(keyText);
  if (key == nullptr) return loadError("cannot load the private key");
  // Checked first so that the error says which mistake was made.
  bool matches = X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) == 1;
  ok = matches && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) return loadError("the private key does not match the certificate");
  if (!ok) return loadError("cannot load the private key");
  return factory;
}

absl::StatusOr<std::shared_ptr<ContextFactory>> CertificateOptions::fromFiles(
    const std::string& certificatePath, const std::string& privateKeyPath) {
  auto cert = readPemFile(certificatePath, "certificate");
  if (!cert.ok()) return cert.status();
  auto key = readPemFile(privateKeyPath, "private key");
  if (!key.ok()) return key.status();
  return fromPem(*cert, *key);
}

absl::StatusOr<std::shared_ptr<ContextFactory>> optionsForClientTLS(
    std::string_view hostname, std::optional<std::string> trustRootPem) {
  if (hostname.empty()) {
    return absl::InvalidArgumentError(
        "TLS: optionsForClientTLS needs the server's hostname");
  }
  if (hostname.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("TLS: the hostname holds a NUL byte");
  }
  SSL_CTX* ctx = newContext(/*client=*/true);
  if (ctx == nullptr) return loadError("cannot create a context");
  auto factory = std::make_shared<ContextFactory>(ctx, true, std::string(hostname));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!trustRootPem) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1)
      return loadError("cannot load the system CA store");
    return factory;
  }
  BIO* roots =
      BIO_new_mem_buf(trustRootPem->data(), static_cast<int>(trustRootPem->size()));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* root = PEM_read_bio_X509(roots, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, root) == 1) ++added;
    X509_free(root);
  }
  BIO_free(roots);
  if (added == 0) return loadError("no trust root certificate in the given PEM");
  ERR_clear_error();
  return factory;
}

}  // namespace torsion::net::tls
