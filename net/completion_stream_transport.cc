#include "net/completion_stream_transport.h"

#include "net/completion_support.h"

namespace torsion::net::internal {

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
