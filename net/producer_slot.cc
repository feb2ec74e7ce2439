#include "net/producer_slot.h"

#include <exception>
#include <stdexcept>
#include <utility>

#include "base/log.h"

namespace torsion::net::internal {

void ProducerSlot::registerProducer(Producer* producer, bool streaming, bool open) {
  if (producer_ != nullptr) {
    throw std::logic_error(
        "registerProducer: a producer is already registered; unregister it first");
  }
  if (!open) {
    producer->stopProducing();
    return;
  }
  producer_ = producer;
  streaming_ = streaming;
  paused_ = false;
  if (!streaming) producer->resumeProducing();
}

void ProducerSlot::unregisterProducer() {
  producer_ = nullptr;
  streaming_ = false;
  paused_ = false;
}

void ProducerSlot::bufferGrew(std::size_t buffered, const WriteBufferLimits& limits) {
  if (producer_ != nullptr && streaming_ && !paused_ && buffered > limits.highWater) {
    paused_ = true;
    producer_->pauseProducing();
  }
}

void ProducerSlot::bufferShrank(std::size_t buffered, const WriteBufferLimits& limits) {
  if (producer_ != nullptr && streaming_ && paused_ && buffered <= limits.lowWater) {
    paused_ = false;
    producer_->resumeProducing();
  }
}

bool ProducerSlot::bufferEmptied() {
  if (producer_ == nullptr || (streaming_ && !paused_)) return false;
  paused_ = false;
  producer_->resumeProducing();
  return true;
}

void ProducerSlot::connectionLost(const std::string& logPrefix) {
  if (Producer* p = std::exchange(producer_, nullptr)) {
    try {
      p->stopProducing();
    } catch (...) {
      log::err("net", logPrefix + ": unhandled error in stopProducing",
               std::current_exception());
    }
  }
}

}  // namespace torsion::net::internal
