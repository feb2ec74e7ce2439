// torsion/net/iocp/iocp_stream_port.h: a listening TCP socket that accepts
// with AcceptEx for a Factory (internal).
//
// Mirrors twisted.internet.iocpreactor.tcp.Port: one AcceptEx outstanding
// at a time with a pre-created socket; on completion SO_UPDATE_ACCEPT_CONTEXT,
// GetAcceptExSockaddrs for the peer, factory->buildProtocol(peer) (null:
// close the socket) and an IocpStreamConnection; then the next AcceptEx.
// startFactory/stopFactory bracket the port's life as on POSIX
// (net/stream_port.h). stopListening() closes the listener; the pending
// AcceptEx completes aborted, and then the factory is stopped and the
// Deferred fires. Running out of sockets backs off 10 ms doubling to 1 s.
//
//   auto port = std::make_shared<internal::IocpStreamPort>(reactor, s, factory,
//                                                          skipOnSuccess);
//   absl::Status st = internal::IocpStreamPort::start(port);
//
// Windows only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_IOCP_IOCP_STREAM_PORT_H_
#define TORSION_NET_IOCP_IOCP_STREAM_PORT_H_

#include <winsock2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "base/delayed_call.h"
#include "core/reactor.h"
#include "deferred/deferred.h"
#include "net/iocp/iocp_support.h"
#include "net/port.h"
#include "net/protocol.h"

namespace torsion::net::internal {

class IocpStreamPort final : public ListeningPort,
                             public CompletionOwner,
                             public std::enable_shared_from_this<IocpStreamPort> {
 public:
  // Takes ownership of `listener`, a bound, listening socket associated with
  // the reactor's port.
  IocpStreamPort(Reactor& reactor, SOCKET listener, std::shared_ptr<Factory> factory,
                 bool skipOnSuccess);
  ~IocpStreamPort() override;

  // factory->doStart(), first AcceptEx, keep alive until stopped. On error
  // the socket is closed and the factory left alone.
  static absl::Status start(const std::shared_ptr<IocpStreamPort>& port);

  Deferred<void> stopListening() override;
  Address getHost() const override { return host_; }

  // CompletionOwner.
  std::string logPrefix() const override;
  void completionFailed(std::exception_ptr error) override;
  // For white-box tests: AcceptEx calls outstanding (0 or 1).
  int operationsInFlight() const { return inFlight_; }

 private:
  // Bytes AcceptEx needs per address: the sockaddr plus 16 (documented).
  static constexpr DWORD kAddressSpace = sizeof(sockaddr_storage) + 16;

  absl::Status startAccept();
  void acceptDone(std::uint32_t error);
  void handleAccepted(SOCKET s);
  void retryLater(const std::string& why);
  void finishStop();
  void closeListener();

  Reactor& reactor_;
  SOCKET listener_;
  std::shared_ptr<Factory> factory_;
  bool skipOnSuccess_;
  int family_ = AF_INET;
  Address host_;
  std::shared_ptr<IocpStreamPort> self_;
  ShutdownHook shutdownHook_;
  SOCKET acceptSocket_ = INVALID_SOCKET;  // the one AcceptEx fills
  char acceptBuffer_[2 * kAddressSpace] = {};
  DelayedCall retry_;
  double retryDelay_ = 0;
  std::optional<Deferred<void>> stopped_;  // stopListening() waits on the abort
  int inFlight_ = 0;
  bool listening_ = false;
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_IOCP_STREAM_PORT_H_
