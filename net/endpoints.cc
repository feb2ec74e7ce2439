// The endpoint half of net/endpoints.h: listen/connect through a
// StreamNetwork, the wrapping factory that turns connection events into a
// Deferred, and connectProtocol. The grammar is in endpoints_parse.cc.
#include "net/endpoints.h"

#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "deferred/failure.h"
#include "net/hostname_endpoint.h"
#include "net/nul_check.h"

namespace torsion::net {
namespace internal {

// Forwards every protocol event to the protocol the user's factory built,
// and fires the connect() Deferred once that protocol's connectionMade ran
// (Twisted's _WrappingProtocol). The transport holds this wrapper; the
// user gets the wrapped protocol.
class WrappingProtocol : public Protocol {
 public:
  WrappingProtocol(Deferred<std::shared_ptr<Protocol>> connected,
                   std::shared_ptr<Protocol> wrapped)
      : connected_(std::move(connected)), wrapped_(std::move(wrapped)) {}

  void connectionMade() override {
    wrapped_->makeConnection(transport());
    if (connected_ && !connected_->called()) {
      // Drop our handle first: the chain must not keep itself alive
      // through us once it has its result.
      Deferred<std::shared_ptr<Protocol>> d = *std::move(connected_);
      connected_.reset();
      d.callback(wrapped_);
    }
  }
  void dataReceived(std::string_view data) override { wrapped_->dataReceived(data); }
  void connectionLost(const Failure& reason) override {
    wrapped_->connectionLost(reason);
    wrapped_->detachTransport();
  }
  bool halfCloseable() const override { return wrapped_->halfCloseable(); }
  void readConnectionLost() override { wrapped_->readConnectionLost(); }
  void writeConnectionLost() override { wrapped_->writeConnectionLost(); }

 private:
  std::optional<Deferred<std::shared_ptr<Protocol>>> connected_;
  std::shared_ptr<Protocol> wrapped_;
};

// Turns ClientFactory events into the connect() Deferred (Twisted's
// _WrappingFactory): buildProtocol failures and clientConnectionFailed
// errback it, connectionMade (through WrappingProtocol) calls it back.
class WrappingFactory : public ClientFactory,
                        public std::enable_shared_from_this<WrappingFactory> {
 public:
  explicit WrappingFactory(std::shared_ptr<Factory> wrapped)
      : wrapped_(std::move(wrapped)) {}

  // The Deferred connect() returns. Cancelling it stops the attempt.
  Deferred<std::shared_ptr<Protocol>> makeDeferred() {
    std::weak_ptr<WrappingFactory> weak = weak_from_this();
    onConnection_ = Deferred<std::shared_ptr<Protocol>>(
        [weak](Deferred<std::shared_ptr<Protocol>>& d) {
          std::shared_ptr<WrappingFactory> self = weak.lock();
          if (!self) return;
          std::shared_ptr<Connector> connector = self->connector_.lock();
          if (!connector) return;
          Address destination = connector->getDestination();
          try {
            connector->stopConnecting();
          } catch (const std::exception&) {
            // Not connecting any more (it raced to a result): nothing to
            // stop; the Deferred fails below all the same.
          }
          if (!d.called()) d.errback(Failure(ConnectingCancelledError(destination)));
        });
    return onConnection_;
  }

  // Weak: the connector holds this factory, and keeps itself alive while
  // it is connecting (like every reactor-owned object).
  void setConnector(const std::shared_ptr<Connector>& connector) {
    connector_ = connector;
  }

  std::shared_ptr<Protocol> buildProtocol(const Address& address) override {
    std::shared_ptr<Protocol> built;
    try {
      built = wrapped_->buildProtocol(address);
    } catch (...) {
      fail(Failure::current());
      return nullptr;
    }
    if (!built) {
      fail(Failure(NoProtocol()));
      return nullptr;
    }
    return std::make_shared<WrappingProtocol>(onConnection_, std::move(built));
  }

  void startFactory() override { wrapped_->doStart(); }
  void stopFactory() override { wrapped_->doStop(); }
  void clientConnectionFailed(Connector*, const Failure& reason) override {
    fail(reason);
  }

 private:
  void fail(const Failure& reason) {
    if (!onConnection_.called()) onConnection_.errback(reason);
  }

  std::shared_ptr<Factory> wrapped_;
  Deferred<std::shared_ptr<Protocol>> onConnection_;
  std::weak_ptr<Connector> connector_;
};

}  // namespace internal

namespace {

// Twisted runs listen() under defer.execute: a throw becomes a failure.
template <typename F>
Deferred<std::shared_ptr<ListeningPort>> listenVia(F&& listen) {
  try {
    absl::StatusOr<std::shared_ptr<ListeningPort>> port = listen();
    if (!port.ok())
      return fail<std::shared_ptr<ListeningPort>>(Failure::fromStatus(port.status()));
    return succeed(*std::move(port));
  } catch (...) {
    return fail<std::shared_ptr<ListeningPort>>(Failure::current());
  }
}

template <typename F>
Deferred<std::shared_ptr<Protocol>> connectVia(std::shared_ptr<Factory> factory,
                                               F&& connect) {
  auto wrapping = std::make_shared<internal::WrappingFactory>(std::move(factory));
  Deferred<std::shared_ptr<Protocol>> d = wrapping->makeDeferred();
  try {
    wrapping->setConnector(connect(wrapping));
  } catch (...) {
    if (!d.called()) d.errback(Failure::current());
  }
  return d;
}

}  // namespace

Deferred<std::shared_ptr<ListeningPort>> TCP4ServerEndpoint::listen(
    std::shared_ptr<Factory> factory) {
  return listenVia([&] { return network_->listenTCP(spec_, std::move(factory)); });
}

Deferred<std::shared_ptr<ListeningPort>> UNIXServerEndpoint::listen(
    std::shared_ptr<Factory> factory) {
  return listenVia([&] { return network_->listenUNIX(spec_, std::move(factory)); });
}

Deferred<std::shared_ptr<Protocol>> TCP4ClientEndpoint::connect(
    std::shared_ptr<Factory> factory) {
  return connectVia(std::move(factory), [&](std::shared_ptr<ClientFactory> wrapping) {
    return network_->connectTCP(spec_, std::move(wrapping));
  });
}

Deferred<std::shared_ptr<Protocol>> UNIXClientEndpoint::connect(
    std::shared_ptr<Factory> factory) {
  return connectVia(std::move(factory), [&](std::shared_ptr<ClientFactory> wrapping) {
    return network_->connectUNIX(spec_, std::move(wrapping));
  });
}

absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description) {
  absl::StatusOr<ServerSpec> spec = parseServerSpec(description);
  if (!spec.ok()) return spec.status();
  if (auto* tcp = std::get_if<TcpServerSpec>(&*spec)) {
    return std::shared_ptr<StreamServerEndpoint>(
        std::make_shared<TCP4ServerEndpoint>(std::move(network), std::move(*tcp)));
  }
  return std::shared_ptr<StreamServerEndpoint>(std::make_shared<UNIXServerEndpoint>(
      std::move(network), std::get<UnixServerSpec>(*std::move(spec))));
}

absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description) {
  absl::StatusOr<ClientSpec> spec = parseClientSpec(description);
  if (!spec.ok()) return spec.status();
  if (auto* tcp = std::get_if<TcpClientSpec>(&*spec)) {
    return std::shared_ptr<StreamClientEndpoint>(
        std::make_shared<TCP4ClientEndpoint>(std::move(network), std::move(*tcp)));
  }
  if (auto* hostname = std::get_if<HostnameClientSpec>(&*spec)) {
    ReactorTime* clock = network->clock();
    std::shared_ptr<HostnameResolver> resolver = network->nameResolver();
    if (clock == nullptr || resolver == nullptr) {
      return absl::InvalidArgumentError(
          "endpoint description '" + internal::printable(description) +
          "': a host: endpoint needs a network with a clock and a name resolver");
    }
    return std::shared_ptr<StreamClientEndpoint>(std::make_shared<HostnameEndpoint>(
        std::move(network), *clock, std::move(resolver), std::move(*hostname)));
  }
  return std::shared_ptr<StreamClientEndpoint>(std::make_shared<UNIXClientEndpoint>(
      std::move(network), std::get<UnixClientSpec>(*std::move(spec))));
}

Deferred<std::shared_ptr<Protocol>> connectProtocol(StreamClientEndpoint& endpoint,
                                                    std::shared_ptr<Protocol> protocol) {
  // Twisted's OneShotFactory: hands out this one protocol.
  class OneShotFactory : public Factory {
   public:
    explicit OneShotFactory(std::shared_ptr<Protocol> p) : protocol_(std::move(p)) {}
    std::shared_ptr<Protocol> buildProtocol(const Address&) override { return protocol_; }

   private:
    std::shared_ptr<Protocol> protocol_;
  };
  return endpoint.connect(std::make_shared<OneShotFactory>(std::move(protocol)));
}

}  // namespace torsion::net
