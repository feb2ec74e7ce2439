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
// The state machine (factory calls, states, timeout, retries,
// stopConnecting/disconnect) is ConnectorBase's (net/connector_base.h),
// shared with the IOCP connector; this class is the attempt.
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

#include "base/reactor_time.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/connector_base.h"
#include "net/protocol.h"
#include "net/socket_address.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

struct ConnectTarget {
  StreamKind kind = StreamKind::kTcp;
  std::string host;  // TCP: name or IP literal
  std::uint16_t port = 0;
  std::string path;       // Unix
  bool checkPID = false;  // Unix: fail with BadFileError unless path.lock is held
  // TCP: bind the client socket here first (host must be an IP literal).
  std::optional<std::pair<std::string, std::uint16_t>> bindAddress;
};

class StreamConnector final : public ConnectorBase, public FileDescriptor {
 public:
  StreamConnector(Reactor& reactor, ConnectTarget target,
                  std::shared_ptr<ClientFactory> factory, std::optional<Seconds> timeout);
  ~StreamConnector() override;

  // Connector (connect/disconnect/stopConnecting are ConnectorBase's).
  Address getDestination() const override;

  // FileDescriptor: the socket being connected, watched for writability.
  int fileno() const override { return socket_; }
  LostReason doWrite() override;
  void connectionLost(const LostReason& reason) override;
  std::string logPrefix() const override;

 private:
  // ConnectorBase.
  void startAttempt(std::uint64_t id) override;
  void attempt(const SockAddr& address, std::uint64_t id) override;
  void abandonAttempt() override;

  void finish();
  Failure errnoFailure(int error) const;

  ConnectTarget target_;
  int socket_ = -1;
  bool watching_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_CONNECTOR_H_
