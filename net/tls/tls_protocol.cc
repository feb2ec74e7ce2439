#include "net/tls/tls_protocol.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>
#include <utility>

namespace torsion::net::tls {

// The application's producer is paused while the transport's buffer is
// full or while the handshake holds too much of its output; a single
// pause/resume from either source must not undo the other's.
class TLSMemoryBIOProtocol::ProducerGate : public Producer {
 public:
  ProducerGate(Producer* app, bool streaming) : app_(app), streaming_(streaming) {}

  bool streaming() const { return streaming_; }
  void setHandshakePaused(bool paused) {
    handshakePaused_ = paused;
    update();
  }
  bool handshakePaused() const { return handshakePaused_; }

  void pauseProducing() override {
    transportPaused_ = true;
    update();
  }
  void resumeProducing() override {
    if (!streaming_) {
      app_->resumeProducing();  // a pull producer: one more chunk
      return;
    }
    transportPaused_ = false;
    update();
  }
  void stopProducing() override { app_->stopProducing(); }

 private:
  void update() {
    bool paused = transportPaused_ || handshakePaused_;
    if (!streaming_ || paused == appPaused_) return;
    appPaused_ = paused;
    if (paused) {
      app_->pauseProducing();
    } else {
      app_->resumeProducing();
    }
  }

  Producer* app_;
  bool streaming_;
  bool transportPaused_ = false;
  bool handshakePaused_ = false;
  bool appPaused_ = false;
};

namespace {
// What a streaming producer may write before the handshake ends.
constexpr std::size_t kHandshakeBufferLimit = 64 * 1024;
}  // namespace

TLSMemoryBIOProtocol::TLSMemoryBIOProtocol(std::shared_ptr<ContextFactory> context,
                                           std::shared_ptr<Protocol> wrapped)
    : context_(std::move(context)), wrapped_(std::move(wrapped)) {}

TLSMemoryBIOProtocol::~TLSMemoryBIOProtocol() { SSL_free(ssl_); }

void TLSMemoryBIOProtocol::connectionMade() {
  if (context_ == nullptr) {  // plaintext until startTLS
    wrapped_->makeConnection(this);
    return;
  }
  if (setUpTLS()) handshake();  // a client's hello goes out now
  wrapped_->makeConnection(this);
  if (failed_) transport()->abortConnection();
}

bool TLSMemoryBIOProtocol::setUpTLS() {
  ssl_ = context_->newConnection();
  incoming_ = BIO_new(BIO_s_mem());
  outgoing_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || incoming_ == nullptr || outgoing_ == nullptr) {
    BIO_free(incoming_);
    BIO_free(outgoing_);
    incoming_ = outgoing_ = nullptr;
    error_ = TLSError("TLSError: cannot create the connection: " +
                      drainErrors("out of memory"));
    failed_ = true;
    return false;
  }
  // An empty input BIO means "wait for more bytes", not end of stream.
  BIO_set_mem_eof_return(incoming_, -1);
  SSL_set_bio(ssl_, incoming_, outgoing_);
  return true;
}

absl::Status TLSMemoryBIOProtocol::startTLS(std::shared_ptr<ContextFactory> context) {
  if (context == nullptr) return absl::InvalidArgumentError("startTLS needs a context");
  if (context_ != nullptr)
    return absl::FailedPreconditionError("startTLS: TLS has already started");
  if (lost_ || transport() == nullptr || disconnecting_ || writeShutdownRequested_) {
    return absl::FailedPreconditionError("startTLS: the connection is closing or gone");
  }
  context_ = std::move(context);
  if (!setUpTLS()) {
    transport()->abortConnection();
    return absl::InternalError(error_.getErrorMessage());
  }
  handshake();
  return absl::OkStatus();
}

absl::Status startTLS(Transport* transport, std::shared_ptr<ContextFactory> context) {
  auto* wrapper = dynamic_cast<TLSMemoryBIOProtocol*>(transport);
  if (wrapper == nullptr) {
    return absl::FailedPreconditionError(
        "startTLS: this transport cannot start TLS; serve its factory through "
        "TLSMemoryBIOFactory::startTLSCapable");
  }
  return wrapper->startTLS(std::move(context));
}

bool TLSMemoryBIOProtocol::handshake() {
  if (handshakeDone_) return true;
  int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    handshakeDone_ = true;
    flushOutgoing();
    return true;
  }
  int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    flushOutgoing();
    return false;
  }
  fail("handshake", error);
  return false;
}

void TLSMemoryBIOProtocol::dataReceived(std::string_view data) {
  if (context_ == nullptr) {
    wrapped_->dataReceived(data);
    return;
  }
  if (failed_ || incoming_ == nullptr) return;
  while (!data.empty()) {
    int chunk = static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX));
    BIO_write(incoming_, data.data(), chunk);
    data.remove_prefix(static_cast<std::size_t>(chunk));
  }
  if (!handshake()) return;
  writePending();
  gateForHandshake(false);
  deliverPlaintext();
}

void TLSMemoryBIOProtocol::deliverPlaintext() {
  char buffer[16 * 1024];
  while (!failed_ && !peerClosed_ && wrapped_->transport() != nullptr) {
    int n = SSL_read(ssl_, buffer, sizeof buffer);
    if (n > 0) {
      wrapped_->dataReceived(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
    if (error == SSL_ERROR_ZERO_RETURN) {
      peerClosed();
      break;
    }
    fail("read", error);
    break;
  }
  flushOutgoing();
}

void TLSMemoryBIOProtocol::peerClosed() {
  peerClosed_ = true;
  if (wrapped_->halfCloseable()) {
    wrapped_->readConnectionLost();
  } else {
    loseConnection();
  }
}

void TLSMemoryBIOProtocol::readConnectionLost() {
  // The transport's stream ended. After close_notify that is the orderly
  // end; without one the data may have been truncated by an attacker.
  if (transport() == nullptr) return;
  if (context_ == nullptr) {
    if (wrapped_->halfCloseable()) {
      wrapped_->readConnectionLost();
    } else {
      transport()->loseConnection();
    }
    return;
  }
  if (!peerClosed_ && !failed_) {
    error_ = TLSError(
        handshakeDone_ ? "TLSError: the peer closed the connection without close_notify"
                       : "TLSError: the connection closed during the handshake");
    failed_ = true;
  }
  transport()->loseConnection();
}

void TLSMemoryBIOProtocol::writeConnectionLost() {
  if ((writeShutdownRequested_ || context_ == nullptr) && wrapped_->halfCloseable() &&
      wrapped_->transport() != nullptr) {
    wrapped_->writeConnectionLost();
  }
}

void TLSMemoryBIOProtocol::connectionLost(const Failure& reason) {
  lost_ = true;
  if (wrapped_->transport() == nullptr) return;  // never made
  if (failed_) {
    wrapped_->connectionLost(error_);
  } else if (peerClosed_ && closeNotifySent_ && !aborted_) {
    // Both close_notify alerts crossed: the TLS close was orderly, even if
    // the TCP close raced (our alert reaching a socket the peer had
    // already closed gets a reset).
    wrapped_->connectionLost(Failure(ConnectionDone()));
  } else {
    wrapped_->connectionLost(reason);
  }
  wrapped_->detachTransport();
}

void TLSMemoryBIOProtocol::fail(std::string_view what, int sslError) {
  std::string message = "TLSError: " + std::string(what) + " failed: " +
                        drainErrors("SSL error " + std::to_string(sslError));
  long verify = SSL_get_verify_result(ssl_);
  if (context_->isClient() && verify != X509_V_OK) {
    message += std::string(" (certificate verification failed: ") +
               X509_verify_cert_error_string(verify) + ")";
  }
  error_ = TLSError(message);
  failed_ = true;
  pending_.clear();
  flushOutgoing();  // the alert tells the peer why
  if (transport() != nullptr) transport()->loseConnection();
}

void TLSMemoryBIOProtocol::flushOutgoing() {
  if (outgoing_ == nullptr) return;
  while (std::size_t pending = BIO_ctrl_pending(outgoing_)) {
    std::string bytes(std::min<std::size_t>(pending, INT_MAX), '\0');
    int n = BIO_read(outgoing_, bytes.data(), static_cast<int>(bytes.size()));
    if (n <= 0) break;
    bytes.resize(static_cast<std::size_t>(n));
    if (transport() != nullptr) transport()->write(bytes);
  }
}

void TLSMemoryBIOProtocol::writePending() {
  if (!handshakeDone_ || failed_) return;
  std::size_t done = 0;
  while (done < pending_.size()) {
    int chunk = static_cast<int>(std::min<std::size_t>(pending_.size() - done, INT_MAX));
    int n = SSL_write(ssl_, pending_.data() + done, chunk);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
    fail("write", error);
    return;
  }
  pending_.erase(0, done);
  flushOutgoing();
  if (!pending_.empty() || gate_ != nullptr || transport() == nullptr) return;
  if (disconnecting_) {
    sendCloseNotify();
    transport()->loseConnection();
  } else if (writeShutdownRequested_) {
    sendCloseNotify();
    transport()->loseWriteConnection();
  }
}

void TLSMemoryBIOProtocol::sendCloseNotify() {
  if (closeNotifySent_ || ssl_ == nullptr) return;
  closeNotifySent_ = true;
  SSL_shutdown(ssl_);
  ERR_clear_error();
  flushOutgoing();
}

void TLSMemoryBIOProtocol::write(std::string_view data) {
  if (disconnecting_ || writeShutdownRequested_ || failed_ || lost_) return;
  if (context_ == nullptr) {
    transport()->write(data);
    return;
  }
  pending_.append(data);
  writePending();
  if (!handshakeDone_ && pending_.size() > kHandshakeBufferLimit) gateForHandshake(true);
}

void TLSMemoryBIOProtocol::gateForHandshake(bool paused) {
  if (gate_ != nullptr && gate_->streaming() && gate_->handshakePaused() != paused) {
    gate_->setHandshakePaused(paused);
  }
}

void TLSMemoryBIOProtocol::writeSequence(std::span<const std::string_view> data) {
  if (disconnecting_ || writeShutdownRequested_ || failed_ || lost_) return;
  if (context_ == nullptr) {
    transport()->writeSequence(data);
    return;
  }
  for (std::string_view piece : data) pending_.append(piece);
  writePending();
  if (!handshakeDone_ && pending_.size() > kHandshakeBufferLimit) gateForHandshake(true);
}

void TLSMemoryBIOProtocol::loseConnection() {
  if (disconnecting_ || lost_) return;
  disconnecting_ = true;
  if (context_ == nullptr) {
    transport()->loseConnection();
    return;
  }
  if (failed_) return;  // fail() already closes
  writePending();
}

void TLSMemoryBIOProtocol::loseWriteConnection() {
  if (writeShutdownRequested_ || disconnecting_ || lost_) return;
  writeShutdownRequested_ = true;
  if (context_ == nullptr) {
    transport()->loseWriteConnection();
    return;
  }
  writePending();
}

void TLSMemoryBIOProtocol::abortConnection() {
  if (lost_) return;
  disconnecting_ = true;
  aborted_ = true;
  pending_.clear();
  transport()->abortConnection();
}

Address TLSMemoryBIOProtocol::getPeer() const {
  return transport() != nullptr ? transport()->getPeer() : Address();
}

Address TLSMemoryBIOProtocol::getHost() const {
  return transport() != nullptr ? transport()->getHost() : Address();
}

absl::Status TLSMemoryBIOProtocol::setTcpNoDelay(bool enabled) {
  if (transport() == nullptr) return absl::FailedPreconditionError("TLS: not connected");
  return transport()->setTcpNoDelay(enabled);
}

absl::Status TLSMemoryBIOProtocol::setTcpKeepAlive(bool enabled) {
  if (transport() == nullptr) return absl::FailedPreconditionError("TLS: not connected");
  return transport()->setTcpKeepAlive(enabled);
}

void TLSMemoryBIOProtocol::setWriteBufferLimits(const WriteBufferLimits& limits) {
  if (transport() != nullptr) transport()->setWriteBufferLimits(limits);
}

std::size_t TLSMemoryBIOProtocol::writeBufferSize() const {
  return pending_.size() + (transport() != nullptr ? transport()->writeBufferSize() : 0);
}

void TLSMemoryBIOProtocol::registerProducer(Producer* producer, bool streaming) {
  if (gate_ != nullptr)
    throw std::logic_error("registerProducer: a producer is already registered");
  if (transport() == nullptr) {
    producer->stopProducing();
    return;
  }
  // The transport's buffer holds the encrypted bytes, so its high-water
  // mark is the one that pauses the application's producer.
  gate_ = std::make_unique<ProducerGate>(producer, streaming);
  transport()->registerProducer(gate_.get(), streaming);
  if (!handshakeDone_ && pending_.size() > kHandshakeBufferLimit) gateForHandshake(true);
}

void TLSMemoryBIOProtocol::unregisterProducer() {
  if (gate_ == nullptr) return;
  if (transport() != nullptr) transport()->unregisterProducer();
  retiredGate_ = std::move(gate_);
  writePending();
}

void TLSMemoryBIOProtocol::pauseProducing() {
  if (transport() != nullptr) transport()->pauseProducing();
}

void TLSMemoryBIOProtocol::resumeProducing() {
  if (transport() != nullptr) transport()->resumeProducing();
}

void TLSMemoryBIOProtocol::stopProducing() {
  if (transport() != nullptr) transport()->stopProducing();
}

TLSMemoryBIOFactory::TLSMemoryBIOFactory(std::shared_ptr<ContextFactory> context,
                                         std::shared_ptr<Factory> wrapped)
    : context_(std::move(context)),
      wrapped_(std::move(wrapped)),
      wrappedClient_(dynamic_cast<ClientFactory*>(wrapped_.get())) {
  if (wrapped_ == nullptr)
    throw std::invalid_argument("TLSMemoryBIOFactory needs a factory");
}

std::shared_ptr<TLSMemoryBIOFactory> TLSMemoryBIOFactory::startTLSCapable(
    std::shared_ptr<Factory> wrapped) {
  return std::make_shared<TLSMemoryBIOFactory>(nullptr, std::move(wrapped));
}

std::shared_ptr<Protocol> TLSMemoryBIOFactory::buildProtocol(const Address& address) {
  std::shared_ptr<Protocol> inner = wrapped_->buildProtocol(address);
  if (inner == nullptr) return nullptr;
  auto outer = std::make_shared<TLSMemoryBIOProtocol>(context_, std::move(inner));
  outer->setFactory(this);
  return outer;
}

void TLSMemoryBIOFactory::startFactory() { wrapped_->doStart(); }
void TLSMemoryBIOFactory::stopFactory() { wrapped_->doStop(); }

void TLSMemoryBIOFactory::startedConnecting(Connector* connector) {
  if (wrappedClient_ != nullptr) wrappedClient_->startedConnecting(connector);
}

void TLSMemoryBIOFactory::clientConnectionFailed(Connector* connector,
                                                 const Failure& reason) {
  if (wrappedClient_ != nullptr)
    wrappedClient_->clientConnectionFailed(connector, reason);
}

void TLSMemoryBIOFactory::clientConnectionLost(Connector* connector,
                                               const Failure& reason) {
  if (wrappedClient_ != nullptr) wrappedClient_->clientConnectionLost(connector, reason);
}

}  // namespace torsion::net::tls
