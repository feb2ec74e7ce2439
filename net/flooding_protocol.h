// torsion/net/flooding_protocol.h: a test protocol that floods its
// transport, registered as that transport's streaming producer, for the
// backpressure tests.
//
//   auto flood = std::make_shared<FloodingProtocol<MyRecorder>>(1 << 20, 16 * 1024);
//
// From connectionMade (after Base's) on it writes `total` bytes in pieces of
// `chunk` as fast as the transport lets it: pauseProducing stops it,
// resumeProducing writes on. Once all is written it unregisters and loses
// the connection.
#ifndef TORSION_NET_FLOODING_PROTOCOL_H_
#define TORSION_NET_FLOODING_PROTOCOL_H_

#include <cstddef>
#include <string>

#include "net/producer.h"

namespace torsion::net {

template <typename Base>
class FloodingProtocol : public Base, public Producer {
 public:
  FloodingProtocol(std::size_t total, std::size_t chunk) : total_(total), chunk_(chunk) {}

  void connectionMade() override {
    Base::connectionMade();
    this->transport()->registerProducer(this, /*streaming=*/true);
    produce();
  }
  void pauseProducing() override {
    paused = true;
    ++pauses;
  }
  void resumeProducing() override {
    paused = false;
    produce();
  }
  void stopProducing() override { stopped = true; }

  std::size_t sent = 0;
  bool paused = false;
  int pauses = 0;
  bool stopped = false;
  bool done = false;  // all written; the connection is being lost

 private:
  void produce() {
    while (!paused && sent < total_ && this->transport() != nullptr) {
      this->transport()->write(std::string(chunk_, 'x'));
      sent += chunk_;
    }
    if (sent >= total_ && this->transport() != nullptr && !done) {
      done = true;
      this->transport()->unregisterProducer();
      this->transport()->loseConnection();
    }
  }

  std::size_t total_;
  std::size_t chunk_;
};

}  // namespace torsion::net

#endif  // TORSION_NET_FLOODING_PROTOCOL_H_
