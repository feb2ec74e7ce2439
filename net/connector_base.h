// torsion/net/connector_base.h: the connector state machine every outgoing
// stream connection shares, readiness- or completion-driven (internal).
//
// Mirrors twisted.internet.base.BaseConnector, which Twisted's posix
// (tcp.Connector) and IOCP (iocpreactor.tcp.Connector) reactors share:
// connect() starts the factory (once), schedules the timeout, calls
// startedConnecting and then has the transport start an attempt; the
// attempt ends in fail() (clientConnectionFailed, and doStop unless the
// factory reconnected) or in a connection whose loss calls
// clientConnectionLost. stopConnecting() fails the attempt with UserError;
// disconnect() stops connecting or loses the connection. Either factory
// callback may call connect() again to retry.
//
// A transport supplies the attempt: startAttempt(id) (often through
// resolveThenAttempt, which calls attempt() with the address) and
// abandonAttempt() (close the socket being connected). On success it
// calls stopTimeout(), buildProtocol(peer) and connected(transport).
// net/stream_connector.h (readiness) and net/iocp/iocp_stream_connector.h
// (ConnectEx) do.
//
//   class MyConnector final : public internal::ConnectorBase {
//     void startAttempt(std::uint64_t id) override {
//       resolveThenAttempt(id, host_, port_);
//     }
//     void attempt(const SockAddr& a, std::uint64_t id) override;  // connect
//     void abandonAttempt() override;                               // close
//   };
//
// Lifetime: while connecting the connector keeps itself alive; while
// connected the connection's onLost callback (from connected()) does.
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_CONNECTOR_BASE_H_
#define TORSION_NET_CONNECTOR_BASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/delayed_call.h"
#include "base/reactor_time.h"
#include "core/reactor.h"
#include "net/port.h"
#include "net/protocol.h"
#include "net/socket_address.h"
#include "net/transport.h"

namespace torsion::net::internal {

class ConnectorBase : public Connector,
                      public std::enable_shared_from_this<ConnectorBase> {
 public:
  // Connector. connect() throws std::logic_error unless disconnected
  // (Twisted's "Can't connect in this state"); stopConnecting() throws
  // NotConnectingError unless connecting.
  void connect() final;
  void disconnect() final;
  void stopConnecting() final;

  // "Connector(127.0.0.1:80)": the start of every log line.
  virtual std::string logPrefix() const = 0;

 protected:
  // How a connect attempt failed, for connectFailure().
  enum class ConnectErrorKind { kRefused, kTimedOut, kNoRoute, kOther };

  ConnectorBase(Reactor& reactor, std::shared_ptr<ClientFactory> factory,
                std::optional<Seconds> timeout);
  ~ConnectorBase() override = default;

  // The transport's part. startAttempt: attempt `id` begins (called from
  // connect() after startedConnecting, still connecting); it ends with
  // fail() or connected(). attempt: resolveThenAttempt's address for
  // attempt `id`. abandonAttempt: close what the attempt holds (called
  // from fail(), before clientConnectionFailed). attemptStarting: called
  // by connect() right after the factory started, before the timeout.
  virtual void startAttempt(std::uint64_t id) = 0;
  virtual void attempt(const SockAddr& address, std::uint64_t id) = 0;
  virtual void abandonAttempt() = 0;
  virtual void attemptStarting(std::uint64_t id) { (void)id; }

  // Resolves `host` (net/resolve.h) and, on the next pass, calls attempt()
  // if `id` is still current; DNSLookupError (or the resolver's failure)
  // goes to fail(). Even a literal connects on the next pass, so that
  // startedConnecting and connectTCP's caller run first, as in Twisted.
  void resolveThenAttempt(std::uint64_t id, const std::string& host, std::uint16_t port);

  // Attempt `id` is the one in progress.
  bool current(std::uint64_t id) const {
    return id == attemptId_ && state_ == State::kConnecting;
  }
  bool connecting() const { return state_ == State::kConnecting; }
  // Ends the attempt: abandonAttempt(), clientConnectionFailed(reason),
  // then the factory's doStop unless it called connect() again.
  void fail(const Failure& reason);
  // Binds the attempt's socket `fd` to `address` (a bindAddress: an IP
  // literal and a port) before it connects. False, after fail() with a
  // ConnectBindError saying why, if the address is no IP literal or the
  // bind fails.
  bool bindForConnect(int fd, const std::pair<std::string, std::uint16_t>& address);
  // The attempt connected: cancel the timeout.
  void stopTimeout();
  // factory->buildProtocol(peer), logging what it throws (null then).
  std::shared_ptr<Protocol> buildProtocol(const Address& peer);
  // What fail() gets when buildProtocol returned null.
  static Failure noProtocolFailure();
  // A failed connect, typed as Twisted types it ("ConnectionRefusedError:
  // connection to 127.0.0.1:80 was refused: <why>", ...).
  Failure connectFailure(ConnectErrorKind kind, const std::string& why) const;
  // The connection is made: it (not the connector) keeps the connector
  // alive from now on. Pass the result to the connection's setOnLost.
  absl::AnyInvocable<void(const Failure&)> connected(std::weak_ptr<Transport> connection);

  Reactor& reactor_;
  std::shared_ptr<ClientFactory> factory_;
  std::weak_ptr<Transport> connection_;  // set by connected()

 private:
  enum class State { kDisconnected, kConnecting, kConnected };

  void connectionEnded(const Failure& reason);
  void stopFactoryUnlessReconnecting();

  std::optional<Seconds> timeout_;
  std::shared_ptr<ConnectorBase> self_;  // while connecting
  DelayedCall timeoutCall_;
  std::uint64_t attemptId_ = 0;
  State state_ = State::kDisconnected;
  bool factoryStarted_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_CONNECTOR_BASE_H_
