// Tests for the protocol test helpers: StringTransport (Twisted's
// test/test_protocols.py StringTransportTests and the behaviours of
// twisted.internet.testing.StringTransport) and iosim (Twisted's
// test/test_iosim.py FakeTransportTests and IOPumpTests), plus protocols
// talking to each other through IOPump.
#include "net/iosim.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "net/line_receiver.h"
#include "net/netstring_receiver.h"
#include "net/string_transport.h"

namespace torsion::net {
namespace {

// Records everything that happens to it.
class Recorder : public Protocol {
 public:
  void connectionMade() override { events.push_back("made"); }
  void dataReceived(std::string_view data) override { received += data; }
  void connectionLost(const Failure& reason) override {
    events.push_back("lost");
    reasons.push_back(reason);
  }
  std::vector<std::string> events;
  std::vector<Failure> reasons;
  std::string received;
};

// Twisted's StrictPushProducer: refuses invalid state transitions.
class StrictPushProducer : public Producer {
 public:
  void stopProducing() override {
    if (state == "stopped")
      throw std::logic_error("Cannot stop already-stopped IPushProducer");
    state = "stopped";
  }
  void pauseProducing() override {
    if (state != "running")
      throw std::logic_error("Cannot pause " + state + " IPushProducer");
    state = "paused";
  }
  void resumeProducing() override {
    if (state != "paused")
      throw std::logic_error("Cannot resume " + state + " IPushProducer");
    state = "running";
  }
  std::string state = "running";
};

// --- StringTransport ----------------------------------------------------------

// twisted.internet.testing.StringTransport: writes, flags, addresses.
TEST(StringTransportTests, RecordsWritesAndState) {
  StringTransport t;
  t.write("a");
  std::string_view parts[] = {"b", "c"};
  t.writeSequence(parts);
  EXPECT_EQ(t.value(), "abc");
  t.clear();
  EXPECT_EQ(t.value(), "");
  EXPECT_EQ(t.getPeer(), Address::ipv4("TCP", "192.168.1.1", 54321));
  EXPECT_EQ(t.getHost(), Address::ipv4("TCP", "10.0.0.1", 12345));
  EXPECT_FALSE(t.disconnecting());
  t.loseConnection();
  EXPECT_TRUE(t.disconnecting());
  EXPECT_FALSE(t.aborted());
  StringTransport u;
  u.abortConnection();
  EXPECT_TRUE(u.disconnecting());
  EXPECT_TRUE(u.aborted());
}

// PC1 (test_doubleProducer): a second producer is refused, as is
// unregistering none.
TEST(StringTransportTests, ProducerRegistration) {
  StringTransport t;
  StrictPushProducer p;
  t.registerProducer(&p, true);
  EXPECT_EQ(t.producer(), &p);
  EXPECT_TRUE(t.streaming());
  EXPECT_THROW(t.registerProducer(&p, false), std::logic_error);
  t.unregisterProducer();
  EXPECT_EQ(t.producer(), nullptr);
  EXPECT_THROW(t.unregisterProducer(), std::logic_error);
}

// StringTransport as a push producer: its producerState, and resuming a
// closed or stopped transport is a bug in the caller.
TEST(StringTransportTests, ProducerState) {
  using State = StringTransport::ProducerState;
  StringTransport t;
  t.pauseProducing();
  EXPECT_EQ(t.producerState(), State::kPaused);
  t.resumeProducing();
  EXPECT_EQ(t.producerState(), State::kProducing);
  t.loseConnection();
  EXPECT_THROW(t.resumeProducing(), std::logic_error);
  StringTransport lenient(Address::ipv4("TCP", "1.2.3.4", 1),
                          Address::ipv4("TCP", "5.6.7.8", 2),
                          /*lenient=*/true);
  lenient.loseConnection();
  lenient.resumeProducing();
  lenient.stopProducing();
  EXPECT_EQ(lenient.producerState(), State::kStopped);
  EXPECT_THROW(lenient.resumeProducing(), std::logic_error);
}

// twisted.internet.testing.StringTransportWithDisconnection: loseConnection
// tells the protocol once.
TEST(StringTransportTests, WithDisconnection) {
  auto proto = std::make_shared<Recorder>();
  StringTransportWithDisconnection t;
  t.setProtocol(proto.get());
  proto->makeConnection(&t);
  t.loseConnection();
  t.loseConnection();
  EXPECT_EQ(proto->events, (std::vector<std::string>{"made", "lost"}));
  EXPECT_TRUE(proto->reasons.at(0).check<ConnectionDone>());
  EXPECT_EQ(proto->transport(), nullptr);
  EXPECT_FALSE(t.connected());
}

// --- FakeTransport / IOPump --------------------------------------------------------

// test_iosim.py FakeTransportTests.test_writeSequence
TEST(FakeTransportTests, WriteSequence) {
  FakeTransport a(std::make_shared<Recorder>(), false, Address(), Address());
  a.write("a");
  std::string_view parts[] = {"b", "c", "d"};
  a.writeSequence(parts);
  EXPECT_EQ(a.takeOutBuffer(), "abcd");
}

// Writes after loseConnection are dropped (Twisted's FakeTransport.write).
TEST(FakeTransportTests, WriteAfterLoseConnection) {
  FakeTransport a(std::make_shared<Recorder>(), false, Address(), Address());
  a.write("kept");
  a.loseConnection();
  a.write("dropped");
  EXPECT_EQ(a.takeOutBuffer(), "kept");
}

void testStreamingProducer(bool server) {
  auto serverProto = std::make_shared<Recorder>();
  auto clientProto = std::make_shared<Recorder>();
  IOPump pump = connect(serverProto, clientProto, /*greet=*/false);
  StrictPushProducer producer;
  FakeTransport& victim = server ? pump.serverIO() : pump.clientIO();
  victim.registerProducer(&producer, /*streaming=*/true);
  pump.pump();
  EXPECT_EQ(producer.state, "running");
  victim.unregisterProducer();
}

// test_iosim.py IOPumpTests.test_serverStreamingProducer
TEST(IOPumpTests, ServerStreamingProducer) { testStreamingProducer(true); }

// test_iosim.py IOPumpTests.test_clientStreamingProducer
TEST(IOPumpTests, ClientStreamingProducer) { testStreamingProducer(false); }

// Data moves only when pumped; both directions; addresses cross over.
TEST(IOPumpTests, PumpMovesData) {
  auto server = std::make_shared<Recorder>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  EXPECT_EQ(server->events, std::vector<std::string>{"made"});
  EXPECT_EQ(client->events, std::vector<std::string>{"made"});
  EXPECT_EQ(client->transport()->getPeer(), server->transport()->getHost());
  client->transport()->write("ping");
  server->transport()->write("pong");
  EXPECT_EQ(server->received, "");
  EXPECT_TRUE(pump.pump());
  EXPECT_EQ(server->received, "ping");
  EXPECT_EQ(client->received, "pong");
  EXPECT_FALSE(pump.flush());
}

// A clean close reaches both sides once, as ConnectionDone, after the data
// written before it; the transports are detached.
TEST(IOPumpTests, LoseConnectionReachesBothSides) {
  auto server = std::make_shared<Recorder>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  client->transport()->write("bye");
  client->transport()->loseConnection();
  EXPECT_TRUE(pump.flush());
  EXPECT_EQ(server->received, "bye");
  EXPECT_EQ(server->events, (std::vector<std::string>{"made", "lost"}));
  EXPECT_EQ(client->events, (std::vector<std::string>{"made", "lost"}));
  EXPECT_TRUE(server->reasons.at(0).check<ConnectionDone>());
  EXPECT_TRUE(client->reasons.at(0).check<ConnectionDone>());
  EXPECT_EQ(server->transport(), nullptr);
  EXPECT_EQ(client->transport(), nullptr);
  EXPECT_FALSE(pump.flush());
}

// abortConnection drops unsent bytes; both sides see ConnectionLost.
TEST(IOPumpTests, AbortConnection) {
  auto server = std::make_shared<Recorder>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  client->transport()->write("never sent");
  client->transport()->abortConnection();
  pump.flush();
  EXPECT_EQ(server->received, "");
  EXPECT_TRUE(server->reasons.at(0).check<ConnectionLost>());
  EXPECT_TRUE(client->reasons.at(0).check<ConnectionLost>());
}

// N11: a paused transport keeps incoming bytes (and a close) until it is
// resumed.
TEST(IOPumpTests, PausedTransportHoldsData) {
  auto server = std::make_shared<Recorder>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  server->transport()->pauseProducing();
  client->transport()->write("held");
  client->transport()->loseConnection();
  pump.flush();
  EXPECT_EQ(server->received, "");
  EXPECT_EQ(server->events, std::vector<std::string>{"made"});
  pump.serverIO().resumeProducing();
  pump.flush();
  EXPECT_EQ(server->received, "held");
  EXPECT_EQ(server->events, (std::vector<std::string>{"made", "lost"}));
}

// PC1 / PC4 on FakeTransport: a pull producer is asked for data at once
// and on each pump; a producer is stopped when the connection goes.
TEST(IOPumpTests, PullProducerAndStopOnLoss) {
  class Counter : public Producer {
   public:
    explicit Counter(Transport* t) : t_(t) {}
    void resumeProducing() override {
      if (++resumes <= 3) t_->write("x");
    }
    void stopProducing() override { stopped = true; }
    int resumes = 0;
    bool stopped = false;

   private:
    Transport* t_;
  };
  auto server = std::make_shared<Recorder>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  Counter producer(client->transport());
  client->transport()->registerProducer(&producer, /*streaming=*/false);
  EXPECT_EQ(producer.resumes, 1);
  pump.pump();
  pump.pump();
  EXPECT_GE(producer.resumes, 3);
  server->transport()->loseConnection();
  for (int i = 0; i < 10; ++i) pump.pump();
  EXPECT_TRUE(producer.stopped);
  EXPECT_EQ(server->received.substr(0, 3), "xxx");
}

// Two line protocols talking through the pump.
class LineCollector : public LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    lines.emplace_back(line);
    if (line == "ping") sendLine("pong");
  }
  std::vector<std::string> lines;
};

TEST(IOPumpTests, ConnectedServerAndClient) {
  auto [client, server, pump] = connectedServerAndClient<LineCollector, LineCollector>();
  client->sendLine("ping");
  client->sendLine("hello");
  pump.flush();
  EXPECT_EQ(server->lines, (std::vector<std::string>{"ping", "hello"}));
  EXPECT_EQ(client->lines, std::vector<std::string>{"pong"});
}

// A LineReceiver that pauses itself stops the flow over the pump, and
// resuming delivers what waited (LR6 end to end).
TEST(IOPumpTests, LineReceiverPausingOverPump) {
  class Pauser : public LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      pauseProducing();
    }
    std::vector<std::string> lines;
  };
  auto server = std::make_shared<Pauser>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  client->transport()->write("one\r\ntwo\r\n");
  pump.flush();
  EXPECT_EQ(server->lines, std::vector<std::string>{"one"});
  client->transport()->write("three\r\n");
  pump.flush();
  EXPECT_EQ(server->lines, std::vector<std::string>{"one"});
  server->resumeProducing();
  EXPECT_EQ(server->lines, (std::vector<std::string>{"one", "two"}));
  server->resumeProducing();
  pump.flush();
  EXPECT_EQ(server->lines, (std::vector<std::string>{"one", "two", "three"}));
}

// A netstring peer that breaks the framing is disconnected, and both sides
// learn.
TEST(IOPumpTests, NetstringParseErrorDisconnects) {
  class Strings : public NetstringReceiver {
   public:
    void stringReceived(std::string_view s) override { strings.emplace_back(s); }
    std::vector<std::string> strings;
  };
  auto server = std::make_shared<Strings>();
  auto client = std::make_shared<Recorder>();
  IOPump pump = connect(server, client);
  client->transport()->write("3:abc,oops");
  pump.flush();
  EXPECT_EQ(server->strings, std::vector<std::string>{"abc"});
  EXPECT_TRUE(server->brokenPeer());
  EXPECT_EQ(client->events, (std::vector<std::string>{"made", "lost"}));
}

// A pump that never settles is reported instead of spinning forever.
TEST(IOPumpTests, FlushGivesUpOnEndlessTraffic) {
  class Echo : public Protocol {
   public:
    void dataReceived(std::string_view data) override { transport()->write(data); }
  };
  auto server = std::make_shared<Echo>();
  auto client = std::make_shared<Echo>();
  IOPump pump = connect(server, client);
  client->transport()->write("x");
  EXPECT_THROW(pump.flush(), std::runtime_error);
}

}  // namespace
}  // namespace torsion::net
