// torsion/net/producer.h: producers and consumers (flow control).
//
// Mirrors twisted.internet.interfaces IPushProducer, IPullProducer and
// IConsumer. A consumer (a transport's write side) tells a streaming (push)
// producer to pause when its buffer passes the high-water mark and to
// resume when it drains below the low-water mark; it asks a non-streaming
// (pull) producer for more data with resumeProducing() each time its buffer
// empties. A transport is itself a push producer of the data it reads:
// pauseProducing() stops reading.
//
//   class FileSender : public torsion::net::Producer { ... };
//   transport->registerProducer(&sender, /*streaming=*/true);
//   ...
//   transport->unregisterProducer();
#ifndef TORSION_NET_PRODUCER_H_
#define TORSION_NET_PRODUCER_H_

#include <string_view>

namespace torsion::net {

class Producer {
 public:
  virtual ~Producer() = default;

  // Push producers: stop producing until resumeProducing().
  virtual void pauseProducing() {}
  // Push producers: go on producing. Pull producers: produce one chunk now.
  virtual void resumeProducing() = 0;
  // Stop for good: the consumer is going away.
  virtual void stopProducing() = 0;
};

class Consumer {
 public:
  virtual ~Consumer() = default;

  // Attaches `producer` (not owned; it must outlive the registration).
  // `streaming` true: a push producer, paused and resumed by the consumer;
  // false: a pull producer, asked for data by resumeProducing(). Throws
  // std::logic_error if a producer is already registered.
  virtual void registerProducer(Producer* producer, bool streaming) = 0;
  virtual void unregisterProducer() = 0;

  virtual void write(std::string_view data) = 0;
};

}  // namespace torsion::net

#endif  // TORSION_NET_PRODUCER_H_
