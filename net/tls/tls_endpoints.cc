#include "net/tls/tls_endpoints.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "net/nul_check.h"
#include "net/tls/tls_protocol.h"

namespace torsion::net::tls {
namespace {

absl::Status invalid(std::string_view description, std::string_view why) {
  return absl::InvalidArgumentError("endpoint description '" +
                                    internal::printable(description) +
                                    "': " + internal::printable(why));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Removes keyword `key` from `parts` and returns its value.
std::optional<std::string> take(EndpointDescription& parts, std::string_view key) {
  auto it = std::find_if(parts.kwargs.begin(), parts.kwargs.end(),
                         [&](const auto& kv) { return kv.first == key; });
  if (it == parts.kwargs.end()) return std::nullopt;
  std::string value = std::move(it->second);
  parts.kwargs.erase(it);
  return value;
}

// What is left of an ssl:/tls: description once the TLS keywords were
// taken is a tcp: description: it is rebuilt and parsed by net's grammar,
// whose errors are then quoted with the description the caller wrote.
std::string asTcp(const EndpointDescription& parts) {
  std::string tcp = "tcp";
  for (const std::string& arg : parts.args) {
    std::string quoted = quoteStringArgument(arg);
    std::string escaped;
    for (char c : quoted) {
      if (c == '=') escaped += '\\';  // a positional, not key=value
      escaped += c;
    }
    tcp += ":" + escaped;
  }
  for (const auto& [key, value] : parts.kwargs) {
    tcp += ":" + quoteStringArgument(key) + "=" + quoteStringArgument(value);
  }
  return tcp;
}

absl::Status requote(std::string_view description, std::string_view type,
                     const std::string& tcp, const absl::Status& status) {
  std::string message(status.message());
  std::string prefix = "endpoint description '" + internal::printable(tcp) + "': ";
  if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  // The examples in the message ("e.g. 'tcp:host=...'") speak of our type.
  for (std::size_t at = message.find("'tcp:"); at != std::string::npos;
       at = message.find("'tcp:", at + 1)) {
    message.replace(at + 1, 3, type);
  }
  return absl::InvalidArgumentError("endpoint description '" +
                                    internal::printable(description) + "': " + message);
}

absl::StatusOr<EndpointDescription> partsOf(std::string_view description,
                                            std::string_view type) {
  absl::StatusOr<EndpointDescription> parts = parseEndpointDescription(description);
  if (!parts.ok()) return parts.status();
  if (lower(parts->type) != type) {
    return invalid(description, "not a " + std::string(type) + ": description");
  }
  return parts;
}

absl::StatusOr<std::string> readTrustRoots(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) return readPemFile(path, "trustRoots");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (entry.path().extension() == ".pem") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::string pem;
  for (const auto& file : files) {
    absl::StatusOr<std::string> text = readPemFile(file.string(), "trustRoots");
    if (!text.ok()) return text.status();
    pem += *text + "\n";
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<ContextFactory>> serverContext(const SslServerSpec& spec) {
  std::string certPath = spec.certKey.empty() ? spec.privateKey : spec.certKey;
  absl::StatusOr<std::string> cert = readPemFile(certPath, "certKey");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = readPemFile(spec.privateKey, "privateKey");
  if (!key.ok()) return key.status();
  if (spec.extraCertChain) {
    absl::StatusOr<std::string> chain =
        readPemFile(*spec.extraCertChain, "extraCertChain");
    if (!chain.ok()) return chain.status();
    *cert += "\n" + *chain;
  }
  return CertificateOptions::fromPem(*cert, *key);
}

}  // namespace

absl::StatusOr<SslServerSpec> parseSslServerSpec(std::string_view description) {
  absl::StatusOr<EndpointDescription> parts = partsOf(description, "ssl");
  if (!parts.ok()) return parts.status();
  SslServerSpec spec;
  if (auto key = take(*parts, "privateKey")) spec.privateKey = *key;
  if (auto cert = take(*parts, "certKey")) spec.certKey = *cert;
  spec.extraCertChain = take(*parts, "extraCertChain");
  for (const std::string* path : {&spec.privateKey, &spec.certKey}) {
    if (absl::Status s = internal::checkNoNul("key file path", *path); !s.ok()) {
      return invalid(description, std::string(s.message()));
    }
  }
  if (spec.privateKey.empty()) return invalid(description, "privateKey is empty");
  std::string tcp = asTcp(*parts);
  absl::StatusOr<ServerSpec> parsed = parseServerSpec(tcp);
  if (!parsed.ok()) return requote(description, "ssl", tcp, parsed.status());
  spec.tcp = std::get<TcpServerSpec>(*std::move(parsed));
  return spec;
}

absl::StatusOr<TlsClientSpec> parseTlsClientSpec(std::string_view description) {
  absl::StatusOr<EndpointDescription> parts = partsOf(description, "tls");
  if (!parts.ok()) return parts.status();
  for (std::string_view unsupported : {"certificate", "privateKey", "endpoint"}) {
    if (take(*parts, unsupported)) {
      return invalid(description, "'" + std::string(unsupported) +
                                      "' is not supported on tls: clients");
    }
  }
  TlsClientSpec spec;
  spec.trustRoots = take(*parts, "trustRoots");
  if (spec.trustRoots) {
    if (absl::Status s = internal::checkNoNul("trustRoots", *spec.trustRoots); !s.ok()) {
      return invalid(description, std::string(s.message()));
    }
  }
  std::string tcp = asTcp(*parts);
  absl::StatusOr<ClientSpec> parsed = parseClientSpec(tcp);
  if (!parsed.ok()) return requote(description, "tls", tcp, parsed.status());
  spec.tcp = std::get<TcpClientSpec>(*std::move(parsed));
  return spec;
}

SSL4ServerEndpoint::SSL4ServerEndpoint(std::shared_ptr<StreamNetwork> network,
                                       TcpServerSpec spec,
                                       std::shared_ptr<ContextFactory> context)
    : tcp_(std::move(network), std::move(spec)), context_(std::move(context)) {}

Deferred<std::shared_ptr<ListeningPort>> SSL4ServerEndpoint::listen(
    std::shared_ptr<Factory> factory) {
  return tcp_.listen(std::make_shared<TLSMemoryBIOFactory>(context_, std::move(factory)));
}

TLSClientEndpoint::TLSClientEndpoint(std::shared_ptr<StreamNetwork> network,
                                     TcpClientSpec spec,
                                     std::shared_ptr<ContextFactory> context)
    : tcp_(std::move(network), std::move(spec)), context_(std::move(context)) {}

Deferred<std::shared_ptr<Protocol>> TLSClientEndpoint::connect(
    std::shared_ptr<Factory> factory) {
  return tcp_.connect(std::make_shared<TLSMemoryBIOFactory>(context_, std::move(factory)))
      .addCallback([](std::shared_ptr<Protocol> outer) -> std::shared_ptr<Protocol> {
        auto* tls = dynamic_cast<TLSMemoryBIOProtocol*>(outer.get());
        // The application's protocol, kept alive by its TLS wrapper's
        // transport for the life of the connection.
        return tls != nullptr ? std::shared_ptr<Protocol>(outer, tls->wrappedProtocol())
                              : outer;
      });
}

absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description) {
  absl::StatusOr<EndpointDescription> parts = parseEndpointDescription(description);
  if (!parts.ok() || lower(parts->type) != "ssl") {
    return net::serverFromString(std::move(network), description);
  }
  absl::StatusOr<SslServerSpec> spec = parseSslServerSpec(description);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<std::shared_ptr<ContextFactory>> context = serverContext(*spec);
  if (!context.ok()) return invalid(description, std::string(context.status().message()));
  return std::shared_ptr<StreamServerEndpoint>(std::make_shared<SSL4ServerEndpoint>(
      std::move(network), spec->tcp, *std::move(context)));
}

absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description) {
  absl::StatusOr<EndpointDescription> parts = parseEndpointDescription(description);
  if (!parts.ok() || lower(parts->type) != "tls") {
    return net::clientFromString(std::move(network), description);
  }
  absl::StatusOr<TlsClientSpec> spec = parseTlsClientSpec(description);
  if (!spec.ok()) return spec.status();
  std::optional<std::string> roots;
  if (spec->trustRoots) {
    absl::StatusOr<std::string> pem = readTrustRoots(*spec->trustRoots);
    if (!pem.ok()) return invalid(description, std::string(pem.status().message()));
    roots = *std::move(pem);
  }
  absl::StatusOr<std::shared_ptr<ContextFactory>> context =
      optionsForClientTLS(spec->tcp.host, std::move(roots));
  if (!context.ok()) return invalid(description, std::string(context.status().message()));
  return std::shared_ptr<StreamClientEndpoint>(std::make_shared<TLSClientEndpoint>(
      std::move(network), spec->tcp, *std::move(context)));
}

absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    Reactor& reactor, std::string_view description) {
  return tls::serverFromString(reactorNetwork(reactor), description);
}

absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    Reactor& reactor, std::string_view description) {
  return tls::clientFromString(reactorNetwork(reactor), description);
}

}  // namespace torsion::net::tls
