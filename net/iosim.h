// torsion/net/iosim.h: two protocols talking through memory, no sockets.
//
// Mirrors twisted.test.iosim: FakeTransport, IOPump (pump, flush), connect
// and connectedServerAndClient. Bytes a protocol writes stay in its
// transport until the pump moves them to the peer, so a test decides
// exactly when each side runs.
//
//   auto [client, server, pump] =
//       torsion::net::connectedServerAndClient<ChatServer, ChatClient>();
//   client->sendLine("hello");
//   pump.flush();                       // deliver until nothing moves
//   EXPECT_EQ(server->lines, std::vector<std::string>{"hello"});
//   client->transport()->loseConnection();
//   pump.flush();                       // both sides see connectionLost
//
// Beyond Twisted's iosim: a transport paused with pauseProducing() keeps
// what arrives for it until resumed (and reports a close only after that,
// like a real transport, behaviour N11); abortConnection() drops unsent
// bytes; a registered streaming producer is stopped when the connection
// goes.
//
// testonly (target //net:testing). Thread-safety: none.
#ifndef TORSION_NET_IOSIM_H_
#define TORSION_NET_IOSIM_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "deferred/failure.h"
#include "net/address.h"
#include "net/protocol.h"
#include "net/transport.h"

namespace torsion::net {

// The in-memory transport of one side of an IOPump connection.
class FakeTransport : public Transport {
 public:
  FakeTransport(std::shared_ptr<Protocol> protocol, bool isServer, Address host,
                Address peer);
  ~FakeTransport() override;

  Protocol* protocol() const { return protocol_.get(); }
  bool isServer() const { return isServer_; }
  // The close has been reported to this side's protocol.
  bool disconnected() const { return disconnected_; }
  bool readPaused() const { return readPaused_; }

  // --- used by IOPump ---
  // Takes what the protocol wrote since the last call.
  std::string takeOutBuffer();
  // Queues bytes from the peer; deliverInbound() hands them over.
  void bufferReceived(std::string_view data) { inbound_.append(data); }
  // Delivers queued bytes unless paused; returns whether any were.
  bool deliverInbound();
  bool hasInbound() const { return !inbound_.empty(); }
  // Asks a registered pull producer for more (Twisted's _checkProducer).
  void checkProducer();
  // Tells the protocol the connection is gone (connectionLost with
  // `reason`) and detaches it. Stops a registered producer first.
  void reportDisconnect(const Failure& reason);
  void markDisconnecting() { disconnecting_ = true; }
  // Detaches the protocol without telling it (the pump is going away).
  void detach();

  // --- Transport ---
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  void loseConnection() override { disconnecting_ = true; }
  // Drops unsent bytes; both sides see ConnectionLost (Twisted's TCP gives
  // the aborting side ConnectionAborted, a ConnectionLost subclass).
  void abortConnection() override;
  void loseWriteConnection() override { writeHalfClosed_ = true; }
  bool disconnecting() const override { return disconnecting_; }
  Address getPeer() const override { return peer_; }
  Address getHost() const override { return host_; }
  absl::Status setTcpNoDelay(bool) override { return absl::OkStatus(); }
  absl::Status setTcpKeepAlive(bool) override { return absl::OkStatus(); }
  void setWriteBufferLimits(const WriteBufferLimits&) override {}
  std::size_t writeBufferSize() const override { return stream_.size(); }
  // Throws std::logic_error if a producer is already registered. A pull
  // producer (streaming false) is asked for data at once and on each pump.
  void registerProducer(Producer* producer, bool streaming) override;
  void unregisterProducer() override;
  void pauseProducing() override { readPaused_ = true; }
  void resumeProducing() override { readPaused_ = false; }
  void stopProducing() override { loseConnection(); }

  // The reason the peer reports when this side closes (ConnectionDone, or
  // ConnectionLost after abortConnection()).
  const Failure& disconnectReason() const { return reason_; }

 private:
  std::shared_ptr<Protocol> protocol_;
  bool isServer_;
  Address host_;
  Address peer_;
  std::string stream_;   // written, not yet taken by the pump
  std::string inbound_;  // from the peer, not yet delivered
  Failure reason_;
  Producer* producer_ = nullptr;
  bool streaming_ = false;
  bool disconnecting_ = false;
  bool disconnected_ = false;
  bool writeHalfClosed_ = false;
  bool readPaused_ = false;
  bool attached_ = false;
};

// Moves bytes between a client and a server FakeTransport.
class IOPump {
 public:
  IOPump(std::unique_ptr<FakeTransport> client, std::unique_ptr<FakeTransport> server);
  // Detaches protocols still connected (without calling connectionLost).
  ~IOPump();
  IOPump(IOPump&&) = default;
  IOPump& operator=(IOPump&&) = delete;

  // One round: move what each side wrote to the other, deliver it, and
  // report one pending close. Returns whether anything happened.
  bool pump();
  // pump() until nothing happens; returns whether anything did. Throws
  // std::runtime_error after 1000 rounds (two protocols that never stop
  // talking).
  bool flush();

  FakeTransport& clientIO() { return *client_; }
  FakeTransport& serverIO() { return *server_; }

 private:
  std::unique_ptr<FakeTransport> client_;
  std::unique_ptr<FakeTransport> server_;
};

// Connects `server` and `client` (server's makeConnection first, as
// Twisted's iosim.connect) and, if `greet`, flushes once so greetings are
// exchanged. Addresses: the server is 127.0.0.1:8000, the client
// 127.0.0.1:50000.
IOPump connect(std::shared_ptr<Protocol> server, std::shared_ptr<Protocol> client,
               bool greet = true);

template <typename S, typename C>
struct ConnectedServerAndClient {
  std::shared_ptr<C> client;
  std::shared_ptr<S> server;
  IOPump pump;
};

// Default-constructs an S and a C and connects them (Twisted's
// connectedServerAndClient).
template <typename S, typename C>
ConnectedServerAndClient<S, C> connectedServerAndClient(bool greet = true) {
  auto server = std::make_shared<S>();
  auto client = std::make_shared<C>();
  IOPump pump = connect(server, client, greet);
  return {std::move(client), std::move(server), std::move(pump)};
}

}  // namespace torsion::net

#endif  // TORSION_NET_IOSIM_H_
