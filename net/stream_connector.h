// torsion/net/stream_connector.h: an outgoing stream connection attempt
// (TCP or Unix) and the Connector that owns it (internal).
//
// Mirrors twisted.internet.base.BaseConnector + tcp.BaseClient: connect()
// starts the factory (once), schedules the timeout, calls
// startedConnecting, resolves a host name on the thread pool if needed and
// runs a non-blocking connect(); the outcome goes to the factory:
// clientConnectionFailed (ConnectionRefusedError, TimeoutError, UserError,
// DNSLookupError, ...) or buildProtocol + connectionMade, and later
// clientConnectionLost with this same connector. Either callback may call
// connect() again to retry.
//
// Lifetime: while connecting the connector keeps itself alive; while
// connected the connection keeps it alive.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_CONNECTOR_H_
#define TORSION_NET_STREAM_CONNECTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/delayed_call.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "core/reactor_time.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/socket_address.h"
#include "net/stream_connection.h"

namespace torsion::net::internal {

struct ConnectTarget {
  StreamKind kind = StreamKind::kTcp;
  std::string host;  // TCP: name or IP literal
  std::uint16_t port = 0;
  std::string path;  // Unix
  // TCP: bind the client socket here first (host must be an IP literal).
  std::optional<std::pair<std::string, std::uint16_t>> bindAddress;
};

class StreamConnector final : public Connector,
                              public FileDescriptor,
                              public std::enable_shared_from_this<StreamConnector> {
 public:
  StreamConnector(Reactor& reactor, ConnectTarget target,
                  std::shared_ptr<ClientFactory> factory, std::optional<Seconds> timeout);
  ~StreamConnector() override;

  // Connector. connect() throws std::logic_error unless disconnected
  // (Twisted's "Can't connect in this state").
  void connect() override;
  void disconnect() override;
  void stopConnecting() override;
  Address getDestination() const override;

  // FileDescriptor: the socket being connected, watched for writability.
  int fileno() const override { return socket_; }
  LostReason doWrite() override;
  void connectionLost(const LostReason& reason) override;
  std::string logPrefix() const override;

 private:
  enum class State { kDisconnected, kConnecting, kConnected };

  void attempt(const SockAddr& address);
  void finish();
  void fail(const Failure& reason);
  void connectionEnded(const Failure& reason);
  void closeSocket();
  Failure errnoFailure(int error) const;
  bool current(std::uint64_t id) const {
    return id == attemptId_ && state_ == State::kConnecting;
  }

  Reactor& reactor_;
  ConnectTarget target_;
  std::shared_ptr<ClientFactory> factory_;
  std::optional<Seconds> timeout_;
  std::shared_ptr<StreamConnector> self_;
  std::weak_ptr<StreamConnection> connection_;
  DelayedCall timeoutCall_;
  std::uint64_t attemptId_ = 0;
  int socket_ = -1;
  State state_ = State::kDisconnected;
  bool watching_ = false;
  bool factoryStarted_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_CONNECTOR_H_
