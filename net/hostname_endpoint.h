// torsion/net/hostname_endpoint.h: a client endpoint that connects to a
// host by name, racing its addresses ("Happy Eyeballs").
//
// Mirrors twisted.internet.endpoints.HostnameEndpoint: connect() resolves
// the name (HostnameResolver, net/hostname_resolver.h; an IP literal skips
// it), then tries the addresses per RFC 8305 (net/connection_race.h): IPv6
// and IPv4 alternating, IPv6 first, a new attempt every 250 ms or as soon
// as the latest one fails; the first to connect wins and the others are
// cancelled.
//
//   auto endpoint = std::make_shared<torsion::net::HostnameEndpoint>(
//       reactor, "example.com", 80, /*timeout=*/Seconds(10));
//   torsion::net::connectProtocol(*endpoint, std::make_shared<Client>())
//       .addCallback([](std::shared_ptr<Protocol> p) { ... });
//
//   // or from a string: clientFromString(reactor, "host:example.com:80:timeout=10")
//
// Where torsion differs from Twisted (docs/hostname-endpoint.md):
//   * `timeout` bounds the whole connect, resolution included; when it
//     runs out everything still running is cancelled and the Deferred
//     fails with TimeoutError (net/errors.h). Twisted applies it to each
//     attempt alone and lets resolution take as long as it takes.
//   * When every attempt fails the Deferred fails with HostnameConnectError
//     naming the host and each address's error (Twisted: the last error).
//
// Errors: DNSLookupError if the name has no address, the lookup failed,
// or the host is empty or holds a NUL byte; HostnameConnectError;
// TimeoutError; ConnectingCancelledError (a CancelledError, with a
// hostname Address) when the Deferred is cancelled, which cancels the
// resolution or every attempt in flight.
//
// Thread-safety: reactor (clock) thread only.
#ifndef TORSION_NET_HOSTNAME_ENDPOINT_H_
#define TORSION_NET_HOSTNAME_ENDPOINT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/reactor_time.h"
#include "deferred/deferred.h"
#include "net/connection_race.h"
#include "net/endpoints.h"
#include "net/errors.h"
#include "net/hostname_resolver.h"

namespace torsion::net {

// Every address of a host was tried and none connected. A ConnectError;
// failures() holds each address's error, in the order they came.
class HostnameConnectError : public ConnectError {
 public:
  HostnameConnectError(const Address& host,
                       std::vector<internal::AttemptFailure> failures);
  const std::vector<internal::AttemptFailure>& failures() const { return failures_; }

 private:
  std::vector<internal::AttemptFailure> failures_;
};

class HostnameEndpoint : public StreamClientEndpoint {
 public:
  // On `reactor`'s sockets and clock; names go to `resolver`, or to the
  // threaded resolver (getaddrinfo on the reactor's pool) when null.
  HostnameEndpoint(Reactor& reactor, std::string host, std::uint16_t port,
                   Seconds timeout = Seconds(30),
                   std::optional<std::string> bindAddress = std::nullopt,
                   std::shared_ptr<HostnameResolver> resolver = nullptr);
  // On any network, clock and resolver (tests: MemoryReactor, task::Clock
  // and a resolver they control). `clock` must outlive the endpoint and
  // every connect() in progress. Throws std::invalid_argument when
  // `network` or `resolver` is null.
  HostnameEndpoint(std::shared_ptr<StreamNetwork> network, ReactorTime& clock,
                   std::shared_ptr<HostnameResolver> resolver, HostnameClientSpec spec);

  // See the file comment. Each attempt is a TCP4ClientEndpoint connect
  // with `factory`, so the factory is started and stopped once per attempt.
  Deferred<std::shared_ptr<Protocol>> connect(std::shared_ptr<Factory> factory) override;

  const HostnameClientSpec& spec() const { return spec_; }
  StreamNetwork* network() const { return network_.get(); }

 private:
  std::shared_ptr<StreamNetwork> network_;
  ReactorTime& clock_;
  std::shared_ptr<HostnameResolver> resolver_;
  HostnameClientSpec spec_;
};

}  // namespace torsion::net

#endif  // TORSION_NET_HOSTNAME_ENDPOINT_H_
