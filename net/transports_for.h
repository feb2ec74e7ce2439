// torsion/net/transports_for.h: which transport family serves a reactor
// (internal): the completion transports when its backend has a completion
// port (IOCP), else the readiness transports. The one place in net/ that
// knows both families exist; the choice depends only on the backend, which
// a reactor keeps for its whole life.
//
//   return internal::transportsFor(reactor).connectTCP(reactor, host, port, ...);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TRANSPORTS_FOR_H_
#define TORSION_NET_TRANSPORTS_FOR_H_

#include "core/reactor.h"
#include "net/transport_family.h"

namespace torsion::net::internal {

// The readiness family (net/readiness_transports.cc).
const TransportFamily& readinessTransports();

const TransportFamily& transportsFor(const Reactor& reactor);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_TRANSPORTS_FOR_H_
