// torsion/net/endpoints.h: endpoints, and endpoints from description strings.
//
// Mirrors twisted.internet.endpoints: serverFromString / clientFromString
// (the strports grammar), quoteStringArgument, TCP4ServerEndpoint,
// TCP4ClientEndpoint, UNIXServerEndpoint, UNIXClientEndpoint and
// connectProtocol, plus error.NoProtocol / error.ConnectingCancelledError.
// HostnameEndpoint is in net/hostname_endpoint.h; clientFromString builds
// one for a "host:" description.
//
//   auto server = torsion::net::serverFromString(reactor,
//       "tcp:8080:interface=127.0.0.1:backlog=50");      // StatusOr
//   if (!server.ok()) { std::cerr << server.status() << "\n"; return 1; }
//   (*server)->listen(factory).addCallback(
//       [](std::shared_ptr<ListeningPort> port) { ... });
//
//   auto client = torsion::net::clientFromString(reactor,
//       "tcp:host=localhost:port=8080:timeout=5");
//   torsion::net::connectProtocol(**client, std::make_shared<Chat>())
//       .addCallback([](std::shared_ptr<Protocol> p) { ... });
//
// Grammar (Twisted's): "type:arg:arg:key=value:...". Arguments are
// separated by ':'; the first '=' in an argument makes it key=value (later
// '=' are part of the value); a backslash makes the next character literal
// ("\:" and "\\"). Positional and keyword arguments mix as in a Python call.
//   server  tcp:PORT[:interface=IP][:backlog=N]
//           unix:PATH[:mode=OCTAL][:backlog=N][:lockfile=0|1]
//   client  tcp:HOST:PORT | tcp:host=HOST:port=PORT  [:timeout=S][:bindAddress=IP]
//           unix:PATH | unix:path=PATH  [:timeout=S][:lockfile=0|1]
//           host:HOST:PORT | host:host=HOST:port=PORT  [:timeout=S][:bindAddress=IP]
//             (a HostnameEndpoint: every address of HOST, raced; Twisted
//             has no string for it but "tls:", so this one is torsion's)
// Type names are case-insensitive.
//
// Errors: a bad description is an absl::InvalidArgumentError whose message
// quotes the description and names the bad part ("port: 'http' is not a
// number in 0..65535", "unknown keyword 'bakclog'", "Unknown endpoint type:
// 'ftl'"), control bytes escaped ("\x00"). A host, interface, bindAddress
// or path holding a NUL byte is one: the OS would read it cut short
// (net/nul_check.h). The parsers are pure functions (parseEndpointDescription,
// parseServerSpec, parseClientSpec). Failures of listen/connect arrive in
// the returned Deferred, as in Twisted.
//
// Thread-safety: the parsers are pure and thread-safe; endpoints are used
// on the reactor thread only.
#ifndef TORSION_NET_ENDPOINTS_H_
#define TORSION_NET_ENDPOINTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/reactor_time.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "net/address.h"
#include "net/port.h"
#include "net/protocol.h"

namespace torsion {
class Reactor;
}

namespace torsion::net {

class HostnameResolver;  // net/hostname_resolver.h

// --- errors -----------------------------------------------------------------

// The factory's buildProtocol returned null, so connect() has no protocol
// to give (Twisted's error.NoProtocol).
class NoProtocol : public std::runtime_error {
 public:
  NoProtocol()
      : std::runtime_error(
            "NoProtocol: the factory's buildProtocol returned no protocol") {}
};

// connect()'s Deferred was cancelled while connecting (Twisted's
// error.ConnectingCancelledError). A CancelledError, so trap<CancelledError>
// catches it.
class ConnectingCancelledError : public CancelledError {
 public:
  explicit ConnectingCancelledError(Address address)
      : CancelledError("ConnectingCancelledError: connecting to " + address.toString() +
                       " was cancelled"),
        address_(std::move(address)) {}
  const Address& address() const { return address_; }

 private:
  Address address_;
};

// --- the grammar ------------------------------------------------------------

// A description split into its parts, escapes resolved. `args` holds the
// positional arguments after the type, `kwargs` the key=value ones in
// order of appearance.
struct EndpointDescription {
  std::string type;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> kwargs;

  friend bool operator==(const EndpointDescription&,
                         const EndpointDescription&) = default;
};

// Splits `description` (Twisted's _parse). Errors: empty description or
// type, a trailing lone backslash, an empty keyword, a keyword given twice.
absl::StatusOr<EndpointDescription> parseEndpointDescription(
    std::string_view description);

// Escapes '\' and ':' so `argument` survives as one argument.
std::string quoteStringArgument(std::string_view argument);

// --- what a description means ----------------------------------------------

struct TcpServerSpec {
  std::uint16_t port = 0;
  std::string interface;  // "" = every interface (Twisted's default)
  int backlog = 50;
  friend bool operator==(const TcpServerSpec&, const TcpServerSpec&) = default;
};

struct UnixServerSpec {
  std::string address;  // the socket's path
  std::uint32_t mode = 0666;
  int backlog = 50;
  bool wantPID = true;  // "lockfile"
  friend bool operator==(const UnixServerSpec&, const UnixServerSpec&) = default;
};

struct TcpClientSpec {
  std::string host;
  std::uint16_t port = 0;
  Seconds timeout{30};
  std::optional<std::string> bindAddress;
  friend bool operator==(const TcpClientSpec&, const TcpClientSpec&) = default;
};

// A "host:" description: TcpClientSpec's fields, meaning a HostnameEndpoint.
// `timeout` bounds the whole connect (resolving and every attempt).
struct HostnameClientSpec : TcpClientSpec {
  // RFC 8305's recommended Connection Attempt Delay (Twisted uses 0.3 s).
  Seconds attemptDelay{0.25};
  friend bool operator==(const HostnameClientSpec&, const HostnameClientSpec&) = default;
};

struct UnixClientSpec {
  std::string path;
  Seconds timeout{30};
  bool checkPID = false;  // "lockfile"
  friend bool operator==(const UnixClientSpec&, const UnixClientSpec&) = default;
};

using ServerSpec = std::variant<TcpServerSpec, UnixServerSpec>;
using ClientSpec = std::variant<TcpClientSpec, UnixClientSpec, HostnameClientSpec>;

// Parse and check a server / client description (see the grammar above).
// Pure; InvalidArgumentError naming the bad part on error.
absl::StatusOr<ServerSpec> parseServerSpec(std::string_view description);
absl::StatusOr<ClientSpec> parseClientSpec(std::string_view description);

// --- the network an endpoint uses --------------------------------------------

// What endpoints need from a reactor (Twisted's IReactorTCP and
// IReactorUNIX). reactorNetwork(reactor) adapts the real reactor; tests use
// MemoryReactor (net/memory_reactor.h). Listen errors are returned as a
// Status (or thrown); connect errors go to the factory.
class StreamNetwork {
 public:
  virtual ~StreamNetwork() = default;
  virtual absl::StatusOr<std::shared_ptr<ListeningPort>> listenTCP(
      const TcpServerSpec& spec, std::shared_ptr<Factory> factory) = 0;
  virtual absl::StatusOr<std::shared_ptr<ListeningPort>> listenUNIX(
      const UnixServerSpec& spec, std::shared_ptr<Factory> factory) = 0;
  virtual std::shared_ptr<Connector> connectTCP(
      const TcpClientSpec& spec, std::shared_ptr<ClientFactory> factory) = 0;
  virtual std::shared_ptr<Connector> connectUNIX(
      const UnixClientSpec& spec, std::shared_ptr<ClientFactory> factory) = 0;
  // The time and the name resolver a HostnameEndpoint on this network uses
  // (Twisted's IReactorTime and IReactorPluggableNameResolver). Null when
  // the network has none: clientFromString then refuses "host:".
  virtual ReactorTime* clock() { return nullptr; }
  virtual std::shared_ptr<HostnameResolver> nameResolver() { return nullptr; }
};

// The real reactor's TCP and Unix sockets (listenTCP, connectTCP, ...), its
// clock and the threaded resolver (getaddrinfo on its thread pool).
// The reactor must outlive the returned object and every endpoint using it.
std::shared_ptr<StreamNetwork> reactorNetwork(Reactor& reactor);

// --- endpoints ----------------------------------------------------------------

// IStreamServerEndpoint.
class StreamServerEndpoint {
 public:
  virtual ~StreamServerEndpoint() = default;
  // Starts listening with `factory`. Fires with the port, or fails with
  // the listen error (a StatusError / CannotListenError).
  virtual Deferred<std::shared_ptr<ListeningPort>> listen(
      std::shared_ptr<Factory> factory) = 0;
};

// IStreamClientEndpoint.
class StreamClientEndpoint {
 public:
  virtual ~StreamClientEndpoint() = default;
  // Connects; fires with the protocol `factory` built, once its
  // connectionMade ran. Fails with the connect error (ConnectionRefusedError,
  // TimeoutError, ...), NoProtocol if buildProtocol returned null, or what
  // buildProtocol threw. Cancelling it while connecting stops the attempt
  // and fails it with ConnectingCancelledError.
  virtual Deferred<std::shared_ptr<Protocol>> connect(
      std::shared_ptr<Factory> factory) = 0;
};

class TCP4ServerEndpoint : public StreamServerEndpoint {
 public:
  TCP4ServerEndpoint(std::shared_ptr<StreamNetwork> network, TcpServerSpec spec)
      : network_(std::move(network)), spec_(std::move(spec)) {}
  Deferred<std::shared_ptr<ListeningPort>> listen(
      std::shared_ptr<Factory> factory) override;
  const TcpServerSpec& spec() const { return spec_; }
  StreamNetwork* network() const { return network_.get(); }

 private:
  std::shared_ptr<StreamNetwork> network_;
  TcpServerSpec spec_;
};

class UNIXServerEndpoint : public StreamServerEndpoint {
 public:
  UNIXServerEndpoint(std::shared_ptr<StreamNetwork> network, UnixServerSpec spec)
      : network_(std::move(network)), spec_(std::move(spec)) {}
  Deferred<std::shared_ptr<ListeningPort>> listen(
      std::shared_ptr<Factory> factory) override;
  const UnixServerSpec& spec() const { return spec_; }
  StreamNetwork* network() const { return network_.get(); }

 private:
  std::shared_ptr<StreamNetwork> network_;
  UnixServerSpec spec_;
};

class TCP4ClientEndpoint : public StreamClientEndpoint {
 public:
  TCP4ClientEndpoint(std::shared_ptr<StreamNetwork> network, TcpClientSpec spec)
      : network_(std::move(network)), spec_(std::move(spec)) {}
  Deferred<std::shared_ptr<Protocol>> connect(std::shared_ptr<Factory> factory) override;
  const TcpClientSpec& spec() const { return spec_; }
  StreamNetwork* network() const { return network_.get(); }

 private:
  std::shared_ptr<StreamNetwork> network_;
  TcpClientSpec spec_;
};

class UNIXClientEndpoint : public StreamClientEndpoint {
 public:
  UNIXClientEndpoint(std::shared_ptr<StreamNetwork> network, UnixClientSpec spec)
      : network_(std::move(network)), spec_(std::move(spec)) {}
  Deferred<std::shared_ptr<Protocol>> connect(std::shared_ptr<Factory> factory) override;
  const UnixClientSpec& spec() const { return spec_; }
  StreamNetwork* network() const { return network_.get(); }

 private:
  std::shared_ptr<StreamNetwork> network_;
  UnixClientSpec spec_;
};

// Parses `description` and builds the endpoint on `network`. A "host:"
// description on a network without clock() or nameResolver() is an
// InvalidArgumentError saying so.
absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description);
absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    std::shared_ptr<StreamNetwork> network, std::string_view description);

// The same on the reactor's real sockets (reactorNetwork(reactor)).
absl::StatusOr<std::shared_ptr<StreamServerEndpoint>> serverFromString(
    Reactor& reactor, std::string_view description);
absl::StatusOr<std::shared_ptr<StreamClientEndpoint>> clientFromString(
    Reactor& reactor, std::string_view description);

// Connects `protocol` itself (no factory of your own): fires with it once
// connected (Twisted's connectProtocol).
Deferred<std::shared_ptr<Protocol>> connectProtocol(StreamClientEndpoint& endpoint,
                                                    std::shared_ptr<Protocol> protocol);

}  // namespace torsion::net

#endif  // TORSION_NET_ENDPOINTS_H_
