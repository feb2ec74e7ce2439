// torsion/benchmarks/torsion_echo_server.h: W3's echo server on torsion,
// written once (torsion_echo_server.cc) for plain TCP (torsion_echo.cc) and
// TLS (torsion_tls_echo.cc): only the call that opens the port differs.
//
//   registerTorsionEchoServers("", [](Reactor& r, auto factory, auto options) {
//     return net::listenTCP(r, 0, std::move(factory), std::move(options));
//   });  // registers torsion_epoll, torsion_poll, ...
#ifndef TORSION_BENCHMARKS_TORSION_ECHO_SERVER_H_
#define TORSION_BENCHMARKS_TORSION_ECHO_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace torsion::bench {

// Opens the server's port on 127.0.0.1 (port 0: any) with `options`.
using TorsionListen = std::function<absl::StatusOr<std::shared_ptr<net::ListeningPort>>(
    Reactor&, std::shared_ptr<net::Factory>, net::ListenOptions)>;

// Registers torsion_<backend><suffix> for every backend this file knows
// (epoll, poll, select, io_uring), each listening through `listen`.
// Returns true (static-initialisation time).
bool registerTorsionEchoServers(const std::string& suffix, TorsionListen listen);

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_TORSION_ECHO_SERVER_H_
