// torsion/net/memory_reactor.h: a StreamNetwork that only records calls.
//
// Mirrors the TCP/Unix part of twisted.internet.testing.MemoryReactor (and
// RaisingMemoryReactor): listenTCP/connectTCP/listenUNIX/connectUNIX are
// recorded with their arguments and answered with fake ports and
// connectors; nothing ever connects by itself. A test then plays the
// network: it calls the recorded factory's buildProtocol and connects the
// protocol to a StringTransport, or calls clientConnectionFailed.
//
//   auto reactor = std::make_shared<torsion::net::MemoryReactor>();
//   auto endpoint = *torsion::net::clientFromString(reactor, "tcp:example.com:80");
//   auto d = endpoint->connect(factory);
//   auto& attempt = reactor->tcpClients.at(0);   // host, port, factory...
//   auto proto = attempt.factory->buildProtocol(address);
//   torsion::net::StringTransport t;
//   proto->makeConnection(&t);                   // d fires now
//
// Like Twisted's MemoryReactorClock it also has a clock (a task::Clock the
// test advances) and a name resolver the test sets, for HostnameEndpoint
// and "host:" descriptions.
//
// testonly (target //net:testing). Thread-safety: none.
#ifndef TORSION_NET_MEMORY_REACTOR_H_
#define TORSION_NET_MEMORY_REACTOR_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "net/address.h"
#include "net/endpoints.h"
#include "net/hostname_resolver.h"
#include "net/port.h"
#include "net/protocol.h"
#include "task/clock.h"

namespace torsion::net {

// A ListeningPort that listens on nothing.
class FakeListeningPort : public ListeningPort {
 public:
  explicit FakeListeningPort(Address host) : host_(std::move(host)) {}
  Deferred<void> stopListening() override;
  Address getHost() const override { return host_; }
  bool stopped() const { return stopped_; }

 private:
  Address host_;
  bool stopped_ = false;
};

// A Connector that connects nowhere; records what it was asked.
class FakeConnector : public Connector {
 public:
  explicit FakeConnector(Address destination) : destination_(std::move(destination)) {}
  void connect() override { ++connectCalls_; }
  void disconnect() override { disconnected_ = true; }
  void stopConnecting() override { stoppedConnecting_ = true; }
  Address getDestination() const override { return destination_; }
  bool stoppedConnecting() const { return stoppedConnecting_; }
  bool disconnected() const { return disconnected_; }
  int connectCalls() const { return connectCalls_; }

 private:
  Address destination_;
  bool stoppedConnecting_ = false;
  bool disconnected_ = false;
  int connectCalls_ = 0;
};

class MemoryReactor : public StreamNetwork {
 public:
  template <typename Spec, typename F, typename Result>
  struct Call {
    Spec spec;
    std::shared_ptr<F> factory;
    std::shared_ptr<Result> result;  // the fake port / connector handed out
  };
  using TcpServerCall = Call<TcpServerSpec, Factory, FakeListeningPort>;
  using UnixServerCall = Call<UnixServerSpec, Factory, FakeListeningPort>;
  using TcpClientCall = Call<TcpClientSpec, ClientFactory, FakeConnector>;
  using UnixClientCall = Call<UnixClientSpec, ClientFactory, FakeConnector>;

  std::vector<TcpServerCall> tcpServers;
  std::vector<UnixServerCall> unixServers;
  std::vector<TcpClientCall> tcpClients;
  std::vector<UnixClientCall> unixClients;

  // When not OK, every listen fails with it (RaisingMemoryReactor). The
  // call is still recorded.
  absl::Status listenError = absl::OkStatus();

  // Fake TCP ports report host = interface (or 0.0.0.0), port = the
  // requested port, or 1234 for port 0 (Twisted's magic number).
  absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(
      const TcpServerSpec& spec, std::shared_ptr<Factory> factory) override;
  absl::StatusOr<std::shared_ptr<ListeningPort>> listenUNIX(
      const UnixServerSpec& spec, std::shared_ptr<Factory> factory) override;
  // Records the call and calls factory->startedConnecting(connector).
  std::shared_ptr<Connector> connectTCP(const TcpClientSpec& spec,
                                        std::shared_ptr<ClientFactory> factory) override;
  std::shared_ptr<Connector> connectUNIX(const UnixClientSpec& spec,
                                         std::shared_ptr<ClientFactory> factory) override;

  // What a HostnameEndpoint on this network uses: `time`, and `resolver`
  // (null until the test sets one, so "host:" is refused until then).
  task::Clock time;
  std::shared_ptr<HostnameResolver> resolver;
  ReactorTime* clock() override { return &time; }
  std::shared_ptr<HostnameResolver> nameResolver() override { return resolver; }
};

}  // namespace torsion::net

#endif  // TORSION_NET_MEMORY_REACTOR_H_
