// torsion/net/stream_lost.h: how a stream connection reports its end
// (internal): the protocol's connectionLost with the right reason, then
// the client connector's callback; and the hard write-buffer limit.
//
// Mirrors the tail of twisted.internet.tcp.Connection.connectionLost
// (abstract.FileDescriptor.connectionLost, then protocol.connectionLost,
// then the Client's connector.connectionLost), which Twisted's posix and
// IOCP connections share. The readiness connection
// (net/stream_connection.h) and the IOCP one
// (net/iocp/iocp_stream_connection.h) call it once their socket is closed.
//
//   notifyConnectionLost(logPrefix(), reason,
//                        readDisconnected_ && writeDisconnected_,
//                        std::move(protocol_), std::move(onLost_));
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_LOST_H_
#define TORSION_NET_STREAM_LOST_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "deferred/failure.h"
#include "net/protocol.h"

namespace torsion::net::internal {

// Calls protocol->connectionLost (then detaches it) and onLost, each with
// the Failure for `reason`, logging what they throw. When both halves
// were already shut down in order (`halvesClosed`), a plain ConnectionLost
// (a hang-up) is reported as the clean ConnectionDone it is, so that
// backends that see the hang-up and those that do not agree. Either of
// protocol / onLost may be empty.
void notifyConnectionLost(const std::string& logPrefix, const std::exception_ptr& reason,
                          bool halvesClosed, std::shared_ptr<Protocol> protocol,
                          absl::AnyInvocable<void(const Failure&)> onLost);

// A write would take the buffer past `hardLimit`: logs a warning and
// returns the ConnectionLost to close with (the caller aborts).
std::exception_ptr hardLimitExceeded(const std::string& logPrefix, std::size_t hardLimit);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_LOST_H_
