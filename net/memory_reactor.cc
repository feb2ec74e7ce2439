#include "net/memory_reactor.h"

#include <memory>
#include <utility>

namespace torsion::net {

Deferred<void> FakeListeningPort::stopListening() {
  stopped_ = true;
  return succeed();
}

absl::StatusOr<std::shared_ptr<ListeningPort>> MemoryReactor::listenTCP(
    const TcpServerSpec& spec, std::shared_ptr<Factory> factory) {
  auto port = std::make_shared<FakeListeningPort>(
      Address::ipv4("TCP", spec.interface.empty() ? "0.0.0.0" : spec.interface,
                    spec.port ? spec.port : 1234));
  tcpServers.push_back({spec, factory, port});
  if (!listenError.ok()) return listenError;
  return std::shared_ptr<ListeningPort>(port);
}

absl::StatusOr<std::shared_ptr<ListeningPort>> MemoryReactor::listenUNIX(
    const UnixServerSpec& spec, std::shared_ptr<Factory> factory) {
  auto port = std::make_shared<FakeListeningPort>(Address::unixSocket(spec.address));
  unixServers.push_back({spec, factory, port});
  if (!listenError.ok()) return listenError;
  return std::shared_ptr<ListeningPort>(port);
}

std::shared_ptr<Connector> MemoryReactor::connectTCP(
    const TcpClientSpec& spec, std::shared_ptr<ClientFactory> factory) {
  auto connector =
      std::make_shared<FakeConnector>(Address::ipv4("TCP", spec.host, spec.port));
  tcpClients.push_back({spec, factory, connector});
  factory->startedConnecting(connector.get());
  return connector;
}

std::shared_ptr<Connector> MemoryReactor::connectUNIX(
    const UnixClientSpec& spec, std::shared_ptr<ClientFactory> factory) {
  auto connector = std::make_shared<FakeConnector>(Address::unixSocket(spec.path));
  unixClients.push_back({spec, factory, connector});
  factory->startedConnecting(connector.get());
  return connector;
}

}  // namespace torsion::net
