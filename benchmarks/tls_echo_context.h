// torsion/benchmarks/tls_echo_context.h: the server context of W3 over TLS,
// shared by torsion's TLS echo server and the minimal OpenSSL one so both
// negotiate the same way (net/tls's context: TLS 1.2 or newer, partial and
// moving-buffer writes allowed).
//
//   auto context = echoServerContext();  // a fresh self-signed P-256 key
//   SSL* ssl = (*context)->newConnection();  // accept state
#ifndef TORSION_BENCHMARKS_TLS_ECHO_CONTEXT_H_
#define TORSION_BENCHMARKS_TLS_ECHO_CONTEXT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "net/tls/context.h"

namespace torsion::bench {

// A certificate for "localhost" signed by its own key, made now: no file
// from outside the process. The load generator does not verify it.
absl::StatusOr<std::shared_ptr<net::tls::ContextFactory>> echoServerContext();

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_TLS_ECHO_CONTEXT_H_
