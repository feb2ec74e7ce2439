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

#include "core/delayed_call.h"
#include "core/reactor.h"
#include "core/reactor_time.h"
#include "net/iocp/iocp_support.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/socket_address.h"

namespace torsion::net::internal {

class IocpStreamConnection;

class IocpStreamConnector final
    : public Connector,
      public std::enable_shared_from_this<IocpStreamConnector> {
 public:
  IocpStreamConnector(Reactor& reactor, std::string host, std::uint16_t port,
                      std::optional<std::pair<std::string, std::uint16_t>> bindAddress,
                      std::shared_ptr<ClientFactory> factory,
                      std::optional<Seconds> timeout);
  ~IocpStreamConnector() override;

  // Throws std::logic_error unless disconnected.
  void connect() override;
  void disconnect() override;
  void stopConnecting() override;
  Address getDestination() const override;

  std::string logPrefix() const;

 private:
  enum class State { kDisconnected, kConnecting, kConnected };

  void attempt(const SockAddr& address, std::uint64_t id);
  void connectDone(std::uint64_t id, std::uint32_t error);
  void finish();
  void fail(const Failure& reason);
  void connectionEnded(const Failure& reason);
  Failure errorFailure(std::uint32_t error) const;
  bool current(std::uint64_t id) const {
    return id == attemptId_ && state_ == State::kConnecting;
  }

  Reactor& reactor_;
  std::string host_;
  std::uint16_t port_;
  std::optional<std::pair<std::string, std::uint16_t>> bindAddress_;
  std::shared_ptr<ClientFactory> factory_;
  std::optional<Seconds> timeout_;
  std::shared_ptr<IocpStreamConnector> self_;
  std::weak_ptr<IocpStreamConnection> connection_;
  ShutdownHook shutdownHook_;
  DelayedCall timeoutCall_;
  std::uint64_t attemptId_ = 0;
  SOCKET socket_ = INVALID_SOCKET;
  bool skipOnSuccess_ = false;
  State state_ = State::kDisconnected;
  bool factoryStarted_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_STREAM_CONNECTOR_H_
