// torsion/net/iocp/iocp_stream_connector.h: an outgoing TCP connection
// attempt with ConnectEx, and the Connector that owns it (internal).
//
// Mirrors twisted.internet.iocpreactor.tcp.Client with base.BaseConnector,
// and matches net/stream_connector.h callback for callback: connect()
// starts the factory (once), schedules the timeout, calls
// startedConnecting, resolves (net/resolve.h) on the next pass, binds the
// socket (ConnectEx needs a bound socket: bindAddress, else the wildcard;
// ConnectBindError if bindAddress fails), ConnectEx, then
// SO_UPDATE_CONNECT_CONTEXT, buildProtocol and an IocpStreamConnection;
// or clientConnectionFailed (ConnectionRefusedError for WSAECONNREFUSED,
// TimeoutError, UserError from stopConnecting, DNSLookupError, ...). Either
// callback may call connect() again.
//
// The state machine (factory calls, states, timeout, retries,
// stopConnecting/disconnect) is ConnectorBase's (net/connector_base.h),
// shared with net/stream_connector.h; this class is the ConnectEx attempt.
//
// Lifetime: while connecting the connector keeps itself alive (and the
// pending ConnectEx holds it too); while connected the connection does.
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_IOCP_STREAM_CONNECTOR_H_
#define TORSION_NET_IOCP_IOCP_STREAM_CONNECTOR_H_

#include <winsock2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/reactor_time.h"
#include "core/reactor.h"
#include "net/connector_base.h"
#include "net/iocp/iocp_support.h"
#include "net/protocol.h"
#include "net/socket_address.h"

namespace torsion::net::internal {

class IocpStreamConnector final : public ConnectorBase, public CompletionOwner {
 public:
  IocpStreamConnector(Reactor& reactor, std::string host, std::uint16_t port,
                      std::optional<std::pair<std::string, std::uint16_t>> bindAddress,
                      std::shared_ptr<ClientFactory> factory,
                      std::optional<Seconds> timeout);
  ~IocpStreamConnector() override;

  // Connector (connect/disconnect/stopConnecting are ConnectorBase's).
  Address getDestination() const override;

  // ConnectorBase and CompletionOwner.
  std::string logPrefix() const override;
  void completionFailed(std::exception_ptr error) override;

 private:
  // ConnectorBase.
  void attemptStarting(std::uint64_t id) override;
  void startAttempt(std::uint64_t id) override;
  void attempt(const SockAddr& address, std::uint64_t id) override;
  void abandonAttempt() override;

  void connectDone(std::uint64_t id, std::uint32_t error);
  void finish();
  Failure errorFailure(std::uint32_t error) const;

  std::string host_;
  std::uint16_t port_;
  std::optional<std::pair<std::string, std::uint16_t>> bindAddress_;
  ShutdownHook shutdownHook_;
  SOCKET socket_ = INVALID_SOCKET;
  bool skipOnSuccess_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_STREAM_CONNECTOR_H_
