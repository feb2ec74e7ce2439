#include "net/string_transport.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "core/errors.h"

namespace torsion::net {

StringTransport::StringTransport(Address host, Address peer, bool lenient)
    : host_(std::move(host)), peer_(std::move(peer)), lenient_(lenient) {}

void StringTransport::writeSequence(std::span<const std::string_view> data) {
  for (std::string_view piece : data) io_.append(piece);
}

void StringTransport::abortConnection() {
  aborted_ = true;
  loseConnection();
}

absl::Status StringTransport::setTcpNoDelay(bool enabled) {
  tcpNoDelay_ = enabled;
  return absl::OkStatus();
}

absl::Status StringTransport::setTcpKeepAlive(bool enabled) {
  tcpKeepAlive_ = enabled;
  return absl::OkStatus();
}

void StringTransport::registerProducer(Producer* producer, bool streaming) {
  if (producer_ != nullptr) {
    throw std::logic_error(
        "StringTransport::registerProducer: a producer is already registered");
  }
  producer_ = producer;
  streaming_ = streaming;
}

void StringTransport::unregisterProducer() {
  if (producer_ == nullptr) {
    throw std::logic_error(
        "StringTransport::unregisterProducer: no producer is registered");
  }
  producer_ = nullptr;
  streaming_ = false;
}

void StringTransport::checkState(const char* what) const {
  if (disconnecting_ && !lenient_) {
    throw std::logic_error(std::string("StringTransport::") + what +
                           ": called after loseConnection()");
  }
  if (producerState_ == ProducerState::kStopped) {
    throw std::logic_error(std::string("StringTransport::") + what +
                           ": the transport was stopped (stopProducing)");
  }
}

void StringTransport::pauseProducing() {
  checkState("pauseProducing");
  producerState_ = ProducerState::kPaused;
}

void StringTransport::resumeProducing() {
  checkState("resumeProducing");
  producerState_ = ProducerState::kProducing;
}

void StringTransportWithDisconnection::loseConnection() {
  StringTransport::loseConnection();
  if (!connected_) return;
  connected_ = false;
  if (protocol_ != nullptr) {
    Protocol* protocol = std::exchange(protocol_, nullptr);
    protocol->connectionLost(Failure(ConnectionDone("ConnectionDone: Bye.")));
    protocol->detachTransport();
  }
}

}  // namespace torsion::net
