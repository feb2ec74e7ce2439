// torsion/net/port.h: listening ports and outgoing connectors.
//
// Mirrors twisted.internet.interfaces IListeningPort (startListening,
// stopListening, getHost) and IConnector (connect, disconnect,
// stopConnecting, getDestination).
//
//   absl::StatusOr<std::shared_ptr<ListeningPort>> port =
//       listenTCP(reactor, 0, factory, {.interface = "127.0.0.1"});
//   uint16_t chosen = (*port)->getHost().port;
//   (*port)->stopListening().addCallback([] { ... all closed ... });
#ifndef TORSION_NET_PORT_H_
#define TORSION_NET_PORT_H_

#include "deferred/deferred.h"
#include "net/address.h"

namespace torsion::net {

class ListeningPort {
 public:
  virtual ~ListeningPort() = default;
  // Stops accepting; the Deferred fires once the port is closed. Calling it
  // again returns an already-fired Deferred.
  virtual Deferred<void> stopListening() = 0;
  virtual Address getHost() const = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Tries again (after a failure or loss; ClientFactory may call it from
  // clientConnectionFailed / clientConnectionLost to reconnect).
  virtual void connect() = 0;
  // Closes the connection, or stops connecting if not connected yet.
  virtual void disconnect() = 0;
  // Stops an attempt in progress: clientConnectionFailed gets
  // UserError. Throws NotConnectingError if not connecting.
  virtual void stopConnecting() = 0;
  virtual Address getDestination() const = 0;
};

}  // namespace torsion::net

#endif  // TORSION_NET_PORT_H_
