#include "net/resolve.h"

#include <string>

#include "core/threads.h"
#include "net/errors.h"
#include "net/nul_check.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"

namespace torsion::net {
namespace {

// Runs on a pool thread: blocking is the point.
std::string lookup(const std::string& name) {
  internal::ensureSocketsInitialized();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    throw DNSLookupError("DNSLookupError: address '" + name +
                         "' not found: " + internal::resolverErrorText(rc));
  }
  const addrinfo* chosen = nullptr;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
    if (chosen == nullptr && a->ai_family == AF_INET6) chosen = a;
  }
  std::string host;
  if (chosen != nullptr) {
    host = internal::toAddress(chosen->ai_addr,
                               static_cast<socklen_t>(chosen->ai_addrlen), "TCP")
               .host;
  }
  freeaddrinfo(res);
  if (host.empty()) {
    throw DNSLookupError("DNSLookupError: address '" + name + "' has no IP address");
  }
  return host;
}

}  // namespace

Deferred<std::string> resolve(Reactor& reactor, std::string_view name) {
  // getaddrinfo would look up the name only up to a NUL ("localhost\0x").
  if (absl::Status s = internal::checkNoNul("host", name); !s.ok()) {
    return fail<std::string>(
        Failure(DNSLookupError("DNSLookupError: " + std::string(s.message()))));
  }
  if (internal::isIPLiteral(name)) return succeed(std::string(name));
  if (name.empty()) {
    return fail<std::string>(Failure(DNSLookupError("DNSLookupError: empty host name")));
  }
  return deferToThread(reactor, [n = std::string(name)] { return lookup(n); });
}

}  // namespace torsion::net
