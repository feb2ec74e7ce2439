// W3 over TLS, torsion's side: the echo server of torsion_echo_server.h
// behind net/tls's protocol wrapper (tls::listenSSL), as torsion_<backend>_tls.
// Each server makes its own certificate and context when it starts.
#include <memory>
#include <utility>

#include "benchmarks/tls_echo_context.h"
#include "benchmarks/torsion_echo_server.h"
#include "net/tls/ssl.h"

namespace torsion::bench {
namespace {

const bool kRegistered = registerTorsionEchoServers(
    "_tls",
    [](Reactor& reactor, std::shared_ptr<net::Factory> factory,
       net::ListenOptions options)
        -> absl::StatusOr<std::shared_ptr<net::ListeningPort>> {
      auto context = echoServerContext();
      if (!context.ok()) return context.status();
      return net::tls::listenSSL(reactor, 0, std::move(factory), std::move(*context),
                                 std::move(options));
    });

}  // namespace
}  // namespace torsion::bench
