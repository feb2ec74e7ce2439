// torsion/net/producer_slot.h: the producer a stream connection's write
// side has registered, and when to pause and resume it (internal).
//
// Mirrors the producer half of twisted.internet.abstract.FileDescriptor
// (registerProducer, unregisterProducer and the high/low-water checks in
// write and doWrite), which Twisted's posix and IOCP connections share.
// The readiness connection (net/stream_connection.h) and the IOCP one
// (net/iocp/iocp_stream_connection.h) each hold one and tell it how full
// their write buffer is.
//
//   ProducerSlot producer_;
//   producer_.registerProducer(p, /*streaming=*/true, connected);
//   buffer_.append(data);
//   producer_.bufferGrew(buffer_.size(), limits_);    // may pause p
//   ...
//   if (buffer_.empty() && producer_.bufferEmptied()) return;  // resumed p
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_PRODUCER_SLOT_H_
#define TORSION_NET_PRODUCER_SLOT_H_

#include <cstddef>
#include <string>

#include "net/producer.h"
#include "net/transport.h"

namespace torsion::net::internal {

class ProducerSlot {
 public:
  // Consumer::registerProducer. Throws std::logic_error if a producer is
  // registered already. `open` false (the connection is gone): the
  // producer is told to stop and not kept. A pull producer is asked for
  // its first chunk at once.
  void registerProducer(Producer* producer, bool streaming, bool open);
  void unregisterProducer();

  bool registered() const { return producer_ != nullptr; }
  // A pull (non-streaming) producer is registered.
  bool pull() const { return producer_ != nullptr && !streaming_; }

  // After buffering: pause a streaming producer once `buffered` passes the
  // high-water mark.
  void bufferGrew(std::size_t buffered, const WriteBufferLimits& limits);
  // After a partial drain: resume a paused streaming producer once
  // `buffered` is at or below the low-water mark.
  void bufferShrank(std::size_t buffered, const WriteBufferLimits& limits);
  // The buffer is empty: resume a pull producer or a paused streaming one.
  // True if it did; the rest of the drain (a pending close) waits then.
  bool bufferEmptied();

  // The connection is gone: forget the producer and tell it to stop,
  // logging what it throws under `logPrefix`.
  void connectionLost(const std::string& logPrefix);

 private:
  Producer* producer_ = nullptr;
  bool streaming_ = false;
  bool paused_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_PRODUCER_SLOT_H_
