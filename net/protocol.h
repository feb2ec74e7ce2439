// torsion/net/protocol.h: Protocol and the factories that build them.
//
// Mirrors twisted.internet.protocol: Protocol (makeConnection,
// connectionMade, dataReceived, connectionLost), IHalfCloseableProtocol
// (readConnectionLost, writeConnectionLost), Factory (buildProtocol,
// startFactory, stopFactory, doStart, doStop), ClientFactory
// (startedConnecting, clientConnectionFailed, clientConnectionLost) and
// ServerFactory.
//
//   class Echo : public torsion::net::Protocol {
//     void dataReceived(std::string_view data) override {
//       transport()->write(data);
//     }
//   };
//   auto factory = torsion::net::Factory::forProtocol<Echo>();
//   auto port = torsion::net::listenTCP(reactor, 8000, factory);
//
// Ownership. Protocols are held by std::shared_ptr: the transport holds its
// protocol for as long as the connection lives, and so may anyone else (a
// test that inspects a protocol after the connection closed). A protocol's
// transport() is valid from makeConnection until connectionLost returns,
// and null afterwards. Connections and listening ports keep themselves
// alive while the reactor uses them, as in Twisted; nobody has to hold them.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_PROTOCOL_H_
#define TORSION_NET_PROTOCOL_H_

#include <memory>
#include <string_view>

#include "deferred/failure.h"
#include "net/address.h"
#include "net/transport.h"

namespace torsion::net {

class Factory;
class Connector;

class Protocol {
 public:
  virtual ~Protocol() = default;

  // Attaches the transport, marks the protocol connected and calls
  // connectionMade(). Called by the transport, or by tests with a
  // StringTransport.
  void makeConnection(Transport* transport);

  // The connection is up; transport() is set.
  virtual void connectionMade() {}
  // Bytes arrived. Chunk boundaries carry no meaning.
  virtual void dataReceived(std::string_view data) { (void)data; }
  // The connection is gone: reason holds ConnectionDone for a clean close,
  // ConnectionLost (or a subclass) otherwise. Called once; transport() is
  // reset to null after it returns.
  virtual void connectionLost(const Failure& reason) { (void)reason; }

  // IHalfCloseableProtocol. A protocol that overrides halfCloseable() to
  // return true is told readConnectionLost() when the peer shuts down its
  // write side, instead of losing the whole connection, and
  // writeConnectionLost() after loseWriteConnection() completed.
  virtual bool halfCloseable() const { return false; }
  virtual void readConnectionLost() {}
  virtual void writeConnectionLost() {}

  Transport* transport() const { return transport_; }
  bool connected() const { return connected_; }
  // The factory that built this protocol, if any (set by buildProtocol's
  // caller). Not owned.
  Factory* factory() const { return factory_; }
  void setFactory(Factory* factory) { factory_ = factory; }

  // Called by transports after connectionLost: detaches the transport.
  void detachTransport() {
    transport_ = nullptr;
    connected_ = false;
  }

 private:
  Transport* transport_ = nullptr;
  Factory* factory_ = nullptr;
  bool connected_ = false;
};

class Factory {
 public:
  virtual ~Factory() = default;

  // Builds the protocol for a new connection from/to `address`. Returning
  // null refuses the connection (it is closed at once).
  virtual std::shared_ptr<Protocol> buildProtocol(const Address& address) = 0;

  // Called when the first port or connector starts using the factory, and
  // when the last one stops (doStart / doStop count the users).
  virtual void startFactory() {}
  virtual void stopFactory() {}
  void doStart();
  void doStop();
  int numPorts() const { return numPorts_; }

  // A factory whose buildProtocol makes a `P` with default construction.
  template <typename P>
  static std::shared_ptr<Factory> forProtocol();

 private:
  int numPorts_ = 0;
};

class ServerFactory : public Factory {};

class ClientFactory : public Factory {
 public:
  virtual void startedConnecting(Connector* connector) { (void)connector; }
  // Connecting failed: ConnectionRefusedError, TimeoutError, DNS errors...
  virtual void clientConnectionFailed(Connector* connector, const Failure& reason) {
    (void)connector;
    (void)reason;
  }
  // An established connection was lost.
  virtual void clientConnectionLost(Connector* connector, const Failure& reason) {
    (void)connector;
    (void)reason;
  }
};

namespace internal {
template <typename P, typename Base>
class SimpleFactory : public Base {
 public:
  std::shared_ptr<Protocol> buildProtocol(const Address&) override {
    auto p = std::make_shared<P>();
    p->setFactory(this);
    return p;
  }
};
}  // namespace internal

template <typename P>
std::shared_ptr<Factory> Factory::forProtocol() {
  return std::make_shared<internal::SimpleFactory<P, ServerFactory>>();
}

}  // namespace torsion::net

#endif  // TORSION_NET_PROTOCOL_H_
