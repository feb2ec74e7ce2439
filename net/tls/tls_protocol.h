// torsion/net/tls/tls_protocol.h: TLS as a protocol between a stream
// transport and the application's protocol.
//
// Mirrors twisted.protocols.tls: TLSMemoryBIOProtocol and
// TLSMemoryBIOFactory. The wrapper is the protocol of the real transport
// (TCP, Unix, iosim, any backend) and the transport of the wrapped
// protocol; OpenSSL runs over two memory BIOs, so no transport changes.
//
//   auto tlsFactory = std::make_shared<torsion::net::tls::TLSMemoryBIOFactory>(
//       *serverContext, appFactory);
//   torsion::net::listenTCP(reactor, 443, tlsFactory);
//
// Behaviour, as in Twisted:
//  * The wrapped protocol's connectionMade comes at once; what it writes
//    before the handshake ends is buffered and sent after it.
//  * loseConnection() sends close_notify after the buffered data, then
//    closes the transport without waiting for the peer's (a unidirectional
//    close, as RFC 8446 allows). Once both alerts have crossed the
//    wrapped protocol sees ConnectionDone, whatever the TCP close raced
//    into. loseWriteConnection() sends close_notify and
//    half-closes the transport; reading goes on. A peer's close_notify
//    reaches a halfCloseable() protocol as readConnectionLost(); any other
//    protocol's connection is closed.
//  * Flow control passes through: pauseProducing() pauses the transport's
//    reading; a producer registered with the wrapper is paused by the
//    transport's buffer of encrypted bytes, and also (streaming producers)
//    while more than 64 KiB wait for the handshake to end.
//  * startTLS: a wrapper made without a context (startTLSCapable) passes
//    bytes through untouched until startTLS(transport, context) is called
//    on it; from then on it is TLS, as Twisted's ITLSTransport.startTLS.
//  * A failed handshake, an untrusted, expired or self-signed certificate,
//    a hostname mismatch or a corrupt record aborts the connection, and
//    connectionLost receives TLSError with OpenSSL's reason and, for a
//    certificate, the verification error ("certificate has expired").
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_TLS_TLS_PROTOCOL_H_
#define TORSION_NET_TLS_TLS_PROTOCOL_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "deferred/failure.h"
#include "net/errors.h"
#include "net/protocol.h"
#include "net/tls/context.h"

typedef struct bio_st BIO;

namespace torsion::net::tls {

// The TLS layer failed: the message says why (Twisted passes SSL.Error).
// A ConnectionLost, so code that traps lost connections traps it too.
class TLSError : public ConnectionLost {
 public:
  explicit TLSError(const std::string& what) : ConnectionLost(what) {}
};

class TLSMemoryBIOProtocol : public Protocol, public Transport {
 public:
  TLSMemoryBIOProtocol(std::shared_ptr<ContextFactory> context,
                       std::shared_ptr<Protocol> wrapped);
  ~TLSMemoryBIOProtocol() override;

  Protocol* wrappedProtocol() const { return wrapped_.get(); }
  // False while a startTLS-capable wrapper still passes plaintext.
  bool tlsStarted() const { return context_ != nullptr; }
  // Switches a plaintext wrapper to TLS (see startTLS below).
  absl::Status startTLS(std::shared_ptr<ContextFactory> context);
  bool handshakeDone() const { return handshakeDone_; }

  // --- Protocol (the real transport's side) ---
  void connectionMade() override;
  void dataReceived(std::string_view data) override;
  void connectionLost(const Failure& reason) override;
  bool halfCloseable() const override { return true; }
  void readConnectionLost() override;
  void writeConnectionLost() override;

  // --- Transport (the wrapped protocol's side) ---
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  void loseConnection() override;
  void abortConnection() override;
  void loseWriteConnection() override;
  bool disconnecting() const override { return disconnecting_; }
  Address getPeer() const override;
  Address getHost() const override;
  absl::Status setTcpNoDelay(bool enabled) override;
  absl::Status setTcpKeepAlive(bool enabled) override;
  void setWriteBufferLimits(const WriteBufferLimits& limits) override;
  std::size_t writeBufferSize() const override;
  void registerProducer(Producer* producer, bool streaming) override;
  void unregisterProducer() override;
  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override;

 private:
  // Creates the SSL object and its BIOs; false (and failed) on error.
  bool setUpTLS();
  // Drives the handshake; true once it is done. Fails the connection on
  // an error.
  bool handshake();
  // Reads every decrypted byte and hands it to the wrapped protocol.
  void deliverPlaintext();
  // Encrypts what the application wrote while the handshake ran.
  void writePending();
  // Moves what OpenSSL wrote to its output BIO into the real transport.
  void flushOutgoing();
  // Sends close_notify (once).
  void sendCloseNotify();
  // Records the TLS error and aborts the real transport.
  void fail(std::string_view what, int sslError);
  void peerClosed();

  class ProducerGate;
  // Paused or resumed the application's producer for the handshake.
  void gateForHandshake(bool paused);

  std::shared_ptr<ContextFactory> context_;
  std::shared_ptr<Protocol> wrapped_;
  // Stands between the transport and the application's producer.
  std::unique_ptr<ProducerGate> gate_;
  std::unique_ptr<ProducerGate> retiredGate_;  // may still be on the stack
  SSL* ssl_ = nullptr;
  BIO* incoming_ = nullptr;  // network -> OpenSSL (owned by ssl_)
  BIO* outgoing_ = nullptr;  // OpenSSL -> network (owned by ssl_)
  std::string pending_;      // application bytes awaiting the handshake
  Failure error_;
  bool failed_ = false;
  bool handshakeDone_ = false;
  bool disconnecting_ = false;
  bool writeShutdownRequested_ = false;
  bool closeNotifySent_ = false;
  bool peerClosed_ = false;
  bool aborted_ = false;
  bool lost_ = false;
};

// Starts TLS on `transport` (a protocol's transport()): the bytes written
// before it go out as plaintext, everything after is TLS, with `context`
// saying which side this is. FailedPrecondition if the transport is not a
// startTLS-capable wrapper (the connection's factory was not wrapped by
// startTLSCapable), TLS already runs, or the connection is gone.
absl::Status startTLS(Transport* transport, std::shared_ptr<ContextFactory> context);

// Wraps every protocol `wrapped` builds in a TLSMemoryBIOProtocol (server
// or client side as the context says; a null context: plaintext until
// startTLS). Forwards startFactory/stopFactory
// and, when the wrapped factory is a ClientFactory, its connection
// callbacks, so it can be handed to listenTCP and connectTCP alike.
class TLSMemoryBIOFactory : public ClientFactory {
 public:
  TLSMemoryBIOFactory(std::shared_ptr<ContextFactory> context,
                      std::shared_ptr<Factory> wrapped);

  std::shared_ptr<Protocol> buildProtocol(const Address& address) override;
  void startFactory() override;
  void stopFactory() override;
  void startedConnecting(Connector* connector) override;
  void clientConnectionFailed(Connector* connector, const Failure& reason) override;
  void clientConnectionLost(Connector* connector, const Failure& reason) override;

  Factory* wrappedFactory() const { return wrapped_.get(); }

  // A factory whose connections are plaintext until startTLS (Twisted
  // gives every TCP transport startTLS; here the factory opts in, so the
  // transports stay as they are).
  static std::shared_ptr<TLSMemoryBIOFactory> startTLSCapable(
      std::shared_ptr<Factory> wrapped);

 private:
  std::shared_ptr<ContextFactory> context_;
  std::shared_ptr<Factory> wrapped_;
  ClientFactory* wrappedClient_;
};

}  // namespace torsion::net::tls

#endif  // TORSION_NET_TLS_TLS_PROTOCOL_H_
