#include "net/completion_stream_transport.h"

#include "core/errors.h"
#include "net/completion_support.h"

namespace torsion::net::internal {

void CompletionStreamTransport::send(const std::string_view* pieces, std::size_t count,
                                     std::size_t total) {
  if (overHardLimit(total)) return;
  // Appending never moves bytes already in flight: WriteBuffer only fills
  // a chunk within the capacity it reserved, or starts a new one.
  for (std::size_t i = 0; i < count; ++i) buffer_.append(pieces[i]);
  startSend();
  producer_.bufferGrew(buffer_.size(), limits_);
}

void CompletionStreamTransport::peerFinishedWriting() {
  if (protocol_->halfCloseable()) {
    readDisconnected_ = true;
    protocol_->readConnectionLost();
    return;
  }
  closeNow(std::make_exception_ptr(ConnectionDone()));
}

void CompletionStreamTransport::sendSucceeded(std::uint32_t bytes) {
  buffer_.consume(bytes);
  if (!buffer_.empty()) {
    startSend();
    producer_.bufferShrank(buffer_.size(), limits_);
    return;
  }
  drained();
}

void CompletionStreamTransport::drained() {
  // The buffer is empty and nothing is in flight.
  if (LostReason done = afterDrain()) closeNow(done);
}

void CompletionStreamTransport::scheduleDrainCheck() {
  if (sending_ || !buffer_.empty() || drainCheckScheduled_) return;
  drainCheckScheduled_ = true;
  auto self = std::static_pointer_cast<CompletionStreamTransport>(shared_from_this());
  callSoonFor(reactor_, self, [self] {
    self->drainCheckScheduled_ = false;
    if (self->lost_ || self->aborting_ || self->sending_ || !self->buffer_.empty()) {
      return;
    }
    self->drained();
  });
}

}  // namespace torsion::net::internal
