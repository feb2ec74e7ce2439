#include "net/transports_for.h"

#ifdef _WIN32
#include "net/iocp/iocp_net.h"
#endif

namespace torsion::net::internal {

const TransportFamily& transportsFor(const Reactor& reactor) {
#ifdef _WIN32
  // Only Windows builds completion transports; elsewhere a backend with a
  // completion port would have no transports, and none exists.
  if (reactor.completionPort() != nullptr) return completionTransports();
#else
  (void)reactor;
#endif
  return readinessTransports();
}

}  // namespace torsion::net::internal
