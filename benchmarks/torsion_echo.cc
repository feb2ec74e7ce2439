// W3 echo server on torsion over plain TCP: torsion_<backend> for every
// backend (torsion_echo_server.h), listening with net::listenTCP.
#include <memory>
#include <utility>

#include "benchmarks/torsion_echo_server.h"
#include "net/tcp.h"

namespace torsion::bench {
namespace {

const bool kRegistered = registerTorsionEchoServers(
    "", [](Reactor& reactor, std::shared_ptr<net::Factory> factory,
           net::ListenOptions options) {
      return net::listenTCP(reactor, 0, std::move(factory), std::move(options));
    });

}  // namespace
}  // namespace torsion::bench
