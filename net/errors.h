// torsion/net/errors.h: the typed errors of the network layer.
//
// Mirrors the parts of twisted.internet.error that TCP, UDP and Unix
// sockets report: CannotListenError, the ConnectError family
// (ConnectionRefusedError, TimeoutError, UserError, DNSLookupError, ...),
// ConnectionAborted, NotConnectingError, and UDP's InvalidAddressError and
// MessageLengthError. ConnectionDone and ConnectionLost live in
// core/errors.h (the reactor hands them to FileDescriptor::connectionLost);
// ConnectionAborted derives from ConnectionLost, as in Twisted.
//
//   void clientConnectionFailed(Connector*, const Failure& reason) override {
//     if (reason.check<torsion::net::ConnectionRefusedError>()) retryLater();
//   }
//
// Header-only; the standard library and core/errors.h alone.
#ifndef TORSION_NET_ERRORS_H_
#define TORSION_NET_ERRORS_H_

#include <stdexcept>
#include <string>

#include "core/errors.h"

namespace torsion::net {

// The connection was closed by abortConnection() on this side.
class ConnectionAborted : public ConnectionLost {
 public:
  explicit ConnectionAborted(
      const std::string& what = "ConnectionAborted: connection was aborted locally")
      : ConnectionLost(what) {}
};

// listenTCP / listenUDP / listenUNIX could not bind or listen. The message
// names the address, the port and the OS error.
class CannotListenError : public std::runtime_error {
 public:
  CannotListenError(std::string interface, int port, const std::string& why)
      : std::runtime_error("CannotListenError: couldn't listen on " +
                           (interface.empty() ? std::string("any") : interface) + ":" +
                           std::to_string(port) + ": " + why),
        interface_(std::move(interface)),
        port_(port) {}
  const std::string& interface() const { return interface_; }
  int port() const { return port_; }

 private:
  std::string interface_;
  int port_;
};

// Base of everything reported to ClientFactory::clientConnectionFailed.
class ConnectError : public std::runtime_error {
 public:
  explicit ConnectError(const std::string& what) : std::runtime_error(what) {}
};

// The peer answered the connection attempt with a reset (ECONNREFUSED).
class ConnectionRefusedError : public ConnectError {
 public:
  explicit ConnectionRefusedError(const std::string& what =
                                      "ConnectionRefusedError: connection was refused by "
                                      "other side")
      : ConnectError(what) {}
};

// Binding the client socket to ConnectOptions::bindAddress failed.
class ConnectBindError : public ConnectError {
 public:
  explicit ConnectBindError(const std::string& what) : ConnectError(what) {}
};

// No route to the host (EHOSTUNREACH / ENETUNREACH).
class NoRouteError : public ConnectError {
 public:
  explicit NoRouteError(const std::string& what) : ConnectError(what) {}
};

// The attempt was stopped by the user: Connector::stopConnecting().
class UserError : public ConnectError {
 public:
  explicit UserError(const std::string& what = "UserError: user aborted connection")
      : ConnectError(what) {}
};

// The connect timeout (ConnectOptions::timeout) expired. Twisted makes it a
// UserError subclass; so do we. Not deferred's torsion::TimeoutError (that
// one is Deferred::addTimeout's).
class TimeoutError : public UserError {
 public:
  explicit TimeoutError(
      const std::string& what = "TimeoutError: user timeout caused connection failure")
      : UserError(what) {}
};

// connectUNIX(checkPID): no live process holds the socket file's lock, so
// the file is a leftover of a server that is gone.
class BadFileError : public ConnectError {
 public:
  explicit BadFileError(const std::string& what) : ConnectError(what) {}
};

// Resolving a host name failed (getaddrinfo's message is included).
class DNSLookupError : public ConnectError {
 public:
  explicit DNSLookupError(const std::string& what) : ConnectError(what) {}
};

// Connector::stopConnecting() when no attempt is in progress.
class NotConnectingError : public std::logic_error {
 public:
  NotConnectingError()
      : std::logic_error(
            "NotConnectingError: the Connector was not connecting when it was asked to "
            "stop connecting") {}
};

// UDP: a destination that is not an IP literal of the socket's family.
class InvalidAddressError : public std::invalid_argument {
 public:
  InvalidAddressError(const std::string& address, const std::string& why)
      : std::invalid_argument("InvalidAddressError: invalid address " + address + ": " +
                              why) {}
};

// UDP: a datagram too long for the socket (EMSGSIZE).
class MessageLengthError : public std::length_error {
 public:
  explicit MessageLengthError(const std::string& what) : std::length_error(what) {}
};

}  // namespace torsion::net

#endif  // TORSION_NET_ERRORS_H_
