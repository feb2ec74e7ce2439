// completionTransports() (net/iocp/iocp_net.h).
#include <utility>

#include "net/iocp/iocp_net.h"

namespace torsion::net::internal {
namespace {

class CompletionTransports final : public TransportFamily {
 public:
  absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(
      Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory, int backlog,
      const std::string& interface) const override {
    return iocpListenTCP(reactor, port, std::move(factory), backlog, interface);
  }

  std::shared_ptr<Connector> connectTCP(Reactor& reactor, std::string_view host,
                                        std::uint16_t port,
                                        std::shared_ptr<ClientFactory> factory,
                                        std::optional<Seconds> timeout,
                                        BindTo bindAddress) const override {
    return iocpConnectTCP(reactor, host, port, std::move(factory), timeout,
                          std::move(bindAddress));
  }

  absl::StatusOr<std::shared_ptr<DatagramTransport>> listenUDP(
      Reactor& reactor, std::uint16_t port, std::shared_ptr<DatagramProtocol> protocol,
      const std::string& interface, std::size_t maxPacketSize) const override {
    return iocpListenUDP(reactor, port, std::move(protocol), interface, maxPacketSize);
  }
};

}  // namespace

const TransportFamily& completionTransports() {
  static const CompletionTransports family;
  return family;
}

}  // namespace torsion::net::internal
