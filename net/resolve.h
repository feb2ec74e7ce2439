// torsion/net/resolve.h: host name resolution off the reactor thread.
//
// Mirrors IReactorCore.resolve / twisted.internet.base.ThreadedResolver:
// getaddrinfo runs on the reactor's thread pool (callInThread) and the
// answer comes back on the reactor thread (callFromThread). IP literals
// resolve synchronously (an already-fired Deferred) and never touch the
// pool.
//
//   torsion::net::resolve(reactor, "localhost")
//       .addCallback([](std::string ip) { ... "127.0.0.1" ... });
//
// Thread-safety: call on the reactor thread. The pool only runs once the
// reactor runs (Reactor::callInThread), so a name lookup needs run().
#ifndef TORSION_NET_RESOLVE_H_
#define TORSION_NET_RESOLVE_H_

#include <string>
#include <string_view>

#include "core/reactor.h"
#include "deferred/deferred.h"

namespace torsion::net {

// The first address of `name`: IPv4 if it has one (Twisted's resolve is
// gethostbyname, IPv4 only), else IPv6, as a numeric string. Errbacks
// with DNSLookupError (net/errors.h) carrying getaddrinfo's message, or at
// once when `name` holds a NUL byte (net/nul_check.h).
Deferred<std::string> resolve(Reactor& reactor, std::string_view name);

}  // namespace torsion::net

#endif  // TORSION_NET_RESOLVE_H_
