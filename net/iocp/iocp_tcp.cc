// iocpListenTCP / iocpConnectTCP (net/iocp/iocp_net.h).
#include <string>
#include <utility>

#include "net/iocp/bound_socket.h"
#include "net/iocp/iocp_net.h"
#include "net/iocp/iocp_stream_connector.h"
#include "net/iocp/iocp_stream_port.h"
#include "net/iocp/iocp_support.h"
#include "net/listen_socket.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {

absl::StatusOr<std::shared_ptr<ListeningPort>> iocpListenTCP(
    Reactor& reactor, std::uint16_t port, std::shared_ptr<Factory> factory, int backlog,
    const std::string& interface) {
  absl::StatusOr<std::pair<SOCKET, bool>> s =
      boundSocket(reactor, SOCK_STREAM, interface, port);
  if (!s.ok()) return s.status();
  if (absl::Status st = listenSocket(toFd(s->first), backlog, interface, port);
      !st.ok()) {
    return st;
  }
  auto p =
      std::make_shared<IocpStreamPort>(reactor, s->first, std::move(factory), s->second);
  if (absl::Status st = IocpStreamPort::start(p); !st.ok()) {
    return cannotListen(WSAEINVAL, interface, port, std::string(st.message()));
  }
  return std::shared_ptr<ListeningPort>(std::move(p));
}

std::shared_ptr<Connector> iocpConnectTCP(Reactor& reactor, std::string_view host,
                                          std::uint16_t port,
                                          std::shared_ptr<ClientFactory> factory,
                                          std::optional<Seconds> timeout,
                                          BindTo bindAddress) {
  ensureSocketsInitialized();
  auto c = std::make_shared<IocpStreamConnector>(reactor, std::string(host), port,
                                                 std::move(bindAddress),
                                                 std::move(factory), timeout);
  c->connect();
  return c;
}

}  // namespace torsion::net::internal
