// torsion/net/string_transport.h: an in-memory Transport for protocol tests.
//
// Mirrors twisted.internet.testing.StringTransport (and
// StringTransportWithDisconnection): it records what the protocol writes,
// remembers loseConnection/abortConnection, the registered producer and its
// own producer state, and does nothing else — no reactor, no sockets.
//
//   auto proto = std::make_shared<MyLineProtocol>();
//   torsion::net::StringTransport t;
//   proto->makeConnection(&t);
//   proto->dataReceived("hello\r\n");
//   EXPECT_EQ(t.value(), "echo: hello\r\n");
//   EXPECT_FALSE(t.disconnecting());
//
// testonly (target //net:testing). Thread-safety: none.
#ifndef TORSION_NET_STRING_TRANSPORT_H_
#define TORSION_NET_STRING_TRANSPORT_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "deferred/failure.h"
#include "net/address.h"
#include "net/protocol.h"
#include "net/transport.h"

namespace torsion::net {

class StringTransport : public Transport {
 public:
  enum class ProducerState { kProducing, kPaused, kStopped };

  // Twisted's defaults: host 10.0.0.1:12345, peer 192.168.1.1:54321.
  // `lenient` allows pause/resumeProducing after loseConnection.
  explicit StringTransport(Address host = Address::ipv4("TCP", "10.0.0.1", 12345),
                           Address peer = Address::ipv4("TCP", "192.168.1.1", 54321),
                           bool lenient = false);

  // --- for tests ---
  // Everything written since construction or the last clear().
  const std::string& value() const { return io_; }
  void clear() { io_.clear(); }
  // abortConnection() was called (Twisted's `disconnected`).
  bool aborted() const { return aborted_; }
  bool disconnected() const { return aborted_; }
  Producer* producer() const { return producer_; }
  bool streaming() const { return streaming_; }
  ProducerState producerState() const { return producerState_; }
  bool writeHalfClosed() const { return writeHalfClosed_; }
  bool tcpNoDelay() const { return tcpNoDelay_; }
  bool tcpKeepAlive() const { return tcpKeepAlive_; }

  // --- Transport ---
  void write(std::string_view data) override { io_.append(data); }
  void writeSequence(std::span<const std::string_view> data) override;
  // Only sets disconnecting(); the protocol is not told (see
  // StringTransportWithDisconnection for that).
  void loseConnection() override { disconnecting_ = true; }
  void abortConnection() override;
  void loseWriteConnection() override { writeHalfClosed_ = true; }
  bool disconnecting() const override { return disconnecting_; }
  Address getPeer() const override { return peer_; }
  Address getHost() const override { return host_; }
  absl::Status setTcpNoDelay(bool enabled) override;
  absl::Status setTcpKeepAlive(bool enabled) override;
  void setWriteBufferLimits(const WriteBufferLimits& limits) override {
    limits_ = limits;
  }
  std::size_t writeBufferSize() const override { return 0; }

  // --- Consumer --- Throws std::logic_error (Twisted: RuntimeError) when a
  // producer is already registered / when none is.
  void registerProducer(Producer* producer, bool streaming) override;
  void unregisterProducer() override;

  // --- Producer (the read side) --- pause/resume throw std::logic_error
  // after loseConnection() (unless lenient) or stopProducing(): code that
  // resumes a closed transport expects data that will never come.
  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override { producerState_ = ProducerState::kStopped; }

 private:
  void checkState(const char* what) const;

  std::string io_;
  Address host_;
  Address peer_;
  bool lenient_;
  bool disconnecting_ = false;
  bool aborted_ = false;
  bool writeHalfClosed_ = false;
  bool tcpNoDelay_ = false;
  bool tcpKeepAlive_ = false;
  Producer* producer_ = nullptr;
  bool streaming_ = false;
  ProducerState producerState_ = ProducerState::kProducing;
  WriteBufferLimits limits_;
};

// A StringTransport whose loseConnection() tells the protocol at once:
// connectionLost(ConnectionDone), then detaches it. Only the first call
// does anything.
class StringTransportWithDisconnection : public StringTransport {
 public:
  using StringTransport::StringTransport;

  // The protocol to tell; set by makeConnection's caller (not owned).
  void setProtocol(Protocol* protocol) { protocol_ = protocol; }
  bool connected() const { return connected_; }

  void loseConnection() override;

 private:
  Protocol* protocol_ = nullptr;
  bool connected_ = true;
};

}  // namespace torsion::net

#endif  // TORSION_NET_STRING_TRANSPORT_H_
