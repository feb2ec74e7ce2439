#include "net/hostname_resolver.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/reactor.h"
#include "core/threads.h"
#include "net/errors.h"
#include "net/nul_check.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"

namespace torsion::net {
namespace {

int toAf(AddressFamily family) {
  switch (family) {
    case AddressFamily::kIPv4:
      return AF_INET;
    case AddressFamily::kIPv6:
      return AF_INET6;
    case AddressFamily::kAny:
      break;
  }
  return AF_UNSPEC;
}

bool wanted(AddressFamily family, Address::Kind kind) {
  return family == AddressFamily::kAny ||
         (family == AddressFamily::kIPv4) == (kind == Address::Kind::kIPv4);
}

// What needs no lookup: a bad name fails, a literal is its own answer.
std::optional<Deferred<std::vector<Address>>> answerWithoutLookup(std::string_view host,
                                                                  std::uint16_t port,
                                                                  AddressFamily family) {
  using Addresses = std::vector<Address>;
  // getaddrinfo would look the name up only up to a NUL ("localhost\0x").
  if (absl::Status s = internal::checkNoNul("host", host); !s.ok()) {
    return fail<Addresses>(
        Failure(DNSLookupError("DNSLookupError: " + std::string(s.message()))));
  }
  if (host.empty()) {
    return fail<Addresses>(Failure(DNSLookupError("DNSLookupError: empty host name")));
  }
  if (!internal::isIPLiteral(host)) return std::nullopt;
  Address literal = internal::isIPv4Literal(host)
                        ? Address::ipv4("TCP", std::string(host), port)
                        : Address::ipv6("TCP", std::string(host), port);
  if (!wanted(family, literal.kind)) {
    return fail<Addresses>(
        Failure(DNSLookupError("DNSLookupError: '" + std::string(host) +
                               "' is an address of the other family")));
  }
  return succeed(Addresses{std::move(literal)});
}

class ThreadedResolver : public HostnameResolver {
 public:
  ThreadedResolver(Reactor& reactor, BlockingLookup lookup)
      : reactor_(reactor), lookup_(std::move(lookup)) {}

  Deferred<std::vector<Address>> resolveHostName(std::string_view host,
                                                 std::uint16_t port,
                                                 AddressFamily family) override {
    if (auto answer = answerWithoutLookup(host, port, family)) return *std::move(answer);
    // No canceller: cancel() fails `result` with CancelledError, and the
    // thread's answer, arriving later, finds it fired and is dropped. The
    // blocking call itself cannot be interrupted.
    Deferred<std::vector<Address>> result;
    deferToThread(reactor_, [lookup = lookup_, h = std::string(host), port, family] {
      return lookup(h, port, family);
    }).addBoth([result](Outcome<std::vector<Address>> answer) mutable {
      if (result.called()) return;
      if (answer.isFailure()) {
        result.errback(answer.failure());
      } else {
        result.callback(std::move(answer).value());
      }
    });
    return result;
  }

 private:
  Reactor& reactor_;
  BlockingLookup lookup_;
};

}  // namespace

std::vector<Address> getAddrInfo(const std::string& host, std::uint16_t port,
                                 AddressFamily family) {
  internal::ensureSocketsInitialized();
  addrinfo hints{};
  hints.ai_family = toAf(family);
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    throw DNSLookupError("DNSLookupError: address '" + host +
                         "' not found: " + internal::resolverErrorText(rc));
  }
  std::vector<Address> addresses;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    Address address =
        internal::toAddress(a->ai_addr, static_cast<socklen_t>(a->ai_addrlen), "TCP");
    bool seen = false;
    for (const Address& b : addresses) seen = seen || b == address;
    if (!seen) addresses.push_back(std::move(address));
  }
  freeaddrinfo(res);
  if (addresses.empty()) {
    throw DNSLookupError("DNSLookupError: address '" + host + "' has no IP address");
  }
  return addresses;
}

std::shared_ptr<HostnameResolver> threadedResolver(Reactor& reactor,
                                                   BlockingLookup lookup) {
  return std::make_shared<ThreadedResolver>(reactor, std::move(lookup));
}

}  // namespace torsion::net
