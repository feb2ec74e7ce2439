#include "net/iosim.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "core/errors.h"

namespace torsion::net {

FakeTransport::FakeTransport(std::shared_ptr<Protocol> protocol, bool isServer,
                             Address host, Address peer)
    : protocol_(std::move(protocol)),
      isServer_(isServer),
      host_(std::move(host)),
      peer_(std::move(peer)),
      reason_(ConnectionDone("ConnectionDone: connection was closed cleanly (iosim)")),
      attached_(true) {}

FakeTransport::~FakeTransport() { detach(); }

void FakeTransport::detach() {
  if (attached_ && protocol_ && protocol_->transport() == this)
    protocol_->detachTransport();
  attached_ = false;
}

std::string FakeTransport::takeOutBuffer() {
  return std::exchange(stream_, std::string());
}

bool FakeTransport::deliverInbound() {
  if (readPaused_ || inbound_.empty() || disconnected_) return false;
  std::string data = std::exchange(inbound_, std::string());
  protocol_->dataReceived(data);
  return true;
}

void FakeTransport::checkProducer() {
  if (producer_ != nullptr && !streaming_) producer_->resumeProducing();
}

void FakeTransport::reportDisconnect(const Failure& reason) {
  disconnected_ = true;
  disconnecting_ = true;
  if (producer_ != nullptr) {
    // PC4: the producer learns first, then it is forgotten.
    Producer* producer = std::exchange(producer_, nullptr);
    producer->stopProducing();
  }
  if (!attached_) return;
  attached_ = false;
  // Keep the protocol alive through its own connectionLost.
  std::shared_ptr<Protocol> protocol = protocol_;
  protocol->connectionLost(reason);
  protocol->detachTransport();
}

void FakeTransport::write(std::string_view data) {
  // Like a real transport, writes after loseConnection are dropped.
  if (disconnecting_) return;
  stream_.append(data);
}

void FakeTransport::writeSequence(std::span<const std::string_view> data) {
  for (std::string_view piece : data) write(piece);
}

void FakeTransport::abortConnection() {
  if (disconnecting_ && disconnected_) return;
  stream_.clear();
  reason_ = Failure(ConnectionLost("ConnectionLost: connection aborted (iosim)"));
  disconnecting_ = true;
}

void FakeTransport::registerProducer(Producer* producer, bool streaming) {
  if (producer_ != nullptr) {
    throw std::logic_error(
        "FakeTransport::registerProducer: a producer is already registered");
  }
  if (disconnected_) {
    // PC1: registering on a dead connection stops the producer at once.
    producer->stopProducing();
    return;
  }
  producer_ = producer;
  streaming_ = streaming;
  if (!streaming) producer->resumeProducing();
}

void FakeTransport::unregisterProducer() { producer_ = nullptr; }

IOPump::IOPump(std::unique_ptr<FakeTransport> client,
               std::unique_ptr<FakeTransport> server)
    : client_(std::move(client)), server_(std::move(server)) {}

IOPump::~IOPump() {
  if (client_) client_->detach();
  if (server_) server_->detach();
}

bool IOPump::pump() {
  std::string fromServer = server_->takeOutBuffer();
  std::string fromClient = client_->takeOutBuffer();
  client_->checkProducer();
  server_->checkProducer();
  if (!fromClient.empty() && !server_->disconnected())
    server_->bufferReceived(fromClient);
  if (!fromServer.empty() && !client_->disconnected())
    client_->bufferReceived(fromServer);
  bool moved = !fromClient.empty() || !fromServer.empty();
  bool delivered = server_->deliverInbound();
  delivered = client_->deliverInbound() || delivered;
  if (moved || delivered) return true;

  // Closing: like Twisted's iosim, the peer of the side that closed hears
  // first and closes in turn; the closing side hears on the next round. A
  // side with undelivered bytes (paused) hears only after reading them.
  if (server_->disconnecting() && !server_->disconnected() && !client_->disconnected() &&
      !client_->hasInbound()) {
    client_->markDisconnecting();
    client_->reportDisconnect(server_->disconnectReason());
    return true;
  }
  if (client_->disconnecting() && !client_->disconnected() && !server_->disconnected() &&
      !server_->hasInbound()) {
    server_->markDisconnecting();
    server_->reportDisconnect(client_->disconnectReason());
    return true;
  }
  // The peer already heard: now the side that closed first does.
  for (FakeTransport* side : {client_.get(), server_.get()}) {
    FakeTransport* other = side == client_.get() ? server_.get() : client_.get();
    if (side->disconnecting() && !side->disconnected() && other->disconnected() &&
        !side->hasInbound()) {
      side->reportDisconnect(side->disconnectReason());
      return true;
    }
  }
  return false;
}

bool IOPump::flush() {
  bool any = false;
  for (int round = 0; round < 1000; ++round) {
    if (!pump()) return any;
    any = true;
  }
  throw std::runtime_error("IOPump::flush: still moving data after 1000 rounds");
}

IOPump connect(std::shared_ptr<Protocol> server, std::shared_ptr<Protocol> client,
               bool greet) {
  Address serverAddress = Address::ipv4("TCP", "127.0.0.1", 8000);
  Address clientAddress = Address::ipv4("TCP", "127.0.0.1", 50000);
  auto serverIO =
      std::make_unique<FakeTransport>(server, true, serverAddress, clientAddress);
  auto clientIO =
      std::make_unique<FakeTransport>(client, false, clientAddress, serverAddress);
  server->makeConnection(serverIO.get());
  client->makeConnection(clientIO.get());
  IOPump pump(std::move(clientIO), std::move(serverIO));
  if (greet) pump.flush();
  return pump;
}

}  // namespace torsion::net
