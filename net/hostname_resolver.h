// torsion/net/hostname_resolver.h: resolving a host name to every address
// it has, asynchronously and cancellably.
//
// Mirrors twisted.internet.interfaces.IHostnameResolver and its default,
// twisted.internet._resolver.GAIResolver, simplified: one call returns a
// Deferred of all the addresses instead of feeding an IResolutionReceiver.
// HostnameEndpoint (net/hostname_endpoint.h) connects through one.
//
//   std::shared_ptr<HostnameResolver> resolver = threadedResolver(reactor);
//   resolver->resolveHostName("example.com", 443)
//       .addCallback([](std::vector<Address> addresses) { ... });
//
// The threaded resolver runs getaddrinfo on the reactor's thread pool
// (deferToThread), so a name lookup needs the reactor running. An IP
// literal resolves at once, without the pool.
//
// Thread-safety: call on the reactor thread; results arrive there.
#ifndef TORSION_NET_HOSTNAME_RESOLVER_H_
#define TORSION_NET_HOSTNAME_RESOLVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deferred/deferred.h"
#include "net/address.h"

namespace torsion {
class Reactor;
}

namespace torsion::net {

// Which address families a resolution asks for (Twisted's addressTypes).
enum class AddressFamily { kAny, kIPv4, kIPv6 };

class HostnameResolver {
 public:
  virtual ~HostnameResolver() = default;

  // Every TCP address of `host` (family `family`), each with `port`, in
  // the order the system gives them. Fails with DNSLookupError
  // (net/errors.h) when the name has no address or the lookup fails.
  // cancel() on the returned Deferred fails it with CancelledError at once;
  // the lookup's late answer is then dropped.
  virtual Deferred<std::vector<Address>> resolveHostName(std::string_view host,
                                                         std::uint16_t port,
                                                         AddressFamily family) = 0;
};

// Blocking lookup: getaddrinfo's TCP answers for (host, port, family), or
// a DNSLookupError thrown. Runs on a pool thread.
using BlockingLookup =
    std::function<std::vector<Address>(const std::string&, std::uint16_t, AddressFamily)>;

// getaddrinfo, as BlockingLookup. Twisted's GAIResolver passes no flags,
// so neither does this: a family that has no route fails fast at connect.
std::vector<Address> getAddrInfo(const std::string& host, std::uint16_t port,
                                 AddressFamily family);

// The default resolver: `lookup` (getaddrinfo unless a test passes its
// own) on `reactor`'s thread pool. A host holding a NUL byte or empty
// fails at once with DNSLookupError (net/nul_check.h); an IP literal
// succeeds at once. The reactor must outlive the resolver.
std::shared_ptr<HostnameResolver> threadedResolver(Reactor& reactor,
                                                   BlockingLookup lookup = getAddrInfo);

}  // namespace torsion::net

#endif  // TORSION_NET_HOSTNAME_RESOLVER_H_
