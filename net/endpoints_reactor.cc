// The reactor half of net/endpoints.h: StreamNetwork on the reactor's real
// sockets (net/tcp.h, net/unix.h), clock and threaded name resolver, and the
// Reactor& overloads of serverFromString / clientFromString.
#include <memory>
#include <string_view>

#include "core/reactor.h"
#include "net/endpoints.h"
#include "net/hostname_resolver.h"
#include "net/tcp.h"
#include "net/unix.h"

namespace torsion::net {
namespace {

class ReactorNetwork : public StreamNetwork {
 public:
  explicit ReactorNetwork(Reactor& reactor) : reactor_(reactor) {}

  absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(
      const TcpServerSpec& spec, std::shared_ptr<Factory> factory) override {
    return net::listenTCP(
        reactor_, spec.port, std::move(factory),
        ListenOptions{.backlog = spec.backlog, .interface = spec.interface});
  }

  absl::StatusOr<std::shared_ptr<ListeningPort>> listenUNIX(
      const UnixServerSpec& spec, std::shared_ptr<Factory> factory) override {
    return net::listenUNIX(
        reactor_, spec.address, std::move(factory),
        UnixListenOptions{
            .backlog = spec.backlog, .mode = spec.mode, .wantPID = spec.wantPID});
  }

  std::shared_ptr<Connector> connectTCP(const TcpClientSpec& spec,
                                        std::shared_ptr<ClientFactory> factory) override {
    ConnectOptions options;
    options.timeout = spec.timeout;
    if (spec.bindAddress) options.bindAddress = BindAddress{*spec.bindAddress, 0};
    return net::connectTCP(reactor_, spec.host, spec.port, std::move(factory), options);
  }

  std::shared_ptr<Connector> connectUNIX(
      const UnixClientSpec& spec, std::shared_ptr<ClientFactory> factory) override {
    return net::connectUNIX(
        reactor_, spec.path, std::move(factory),
        UnixConnectOptions{.timeout = spec.timeout, .checkPID = spec.checkPID});
  }

  ReactorTime* clock() override { return &reactor_; }
  std::shared_ptr<HostnameResolver> nameResolver() override {
    if (!resolver_) resolver_ = threadedResolver(reactor_);
    return resolver_;
  }

 private:
  Reactor& reactor_;
  std::shared_ptr<HostnameResolver> resolver_;
};

}  // namespace

std::shared_ptr<StreamNetwork> reactorNetwork(Reactor& reactor) {
  return std::make_shared<ReactorNetwork>(reactor);
}

absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    Reactor& reactor, std::string_view description) {
  return serverFromString(reactorNetwork(reactor), description);
}

absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    Reactor& reactor, std::string_view description) {
  return clientFromString(reactorNetwork(reactor), description);
}

}  // namespace torsion::net
