// Flow control, volume and resource limits on every backend
// (AllBackends/TcpFlowTest.<Case>/<backend>): a 64 MiB transfer checked
// end to end, producers (twisted/test/test_internet.py ProducerTests,
// internet/test/test_tcp.py producer tests), 1,000 simultaneous
// connections, and accept() running out of file descriptors (POSIX-only:
// tcp_flow_posix_test.cc).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/file_descriptor.h"
#include "gtest/gtest.h"
#include "net/tcp.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

// Deterministic bytes and their FNV-1a checksum.
struct Stream {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  std::uint64_t hash = 1469598103934665603ull;
  std::uint64_t bytes = 0;

  void fill(std::string& out, std::size_t n) {
    out.resize(n);
    for (std::size_t i = 0; i < n; i += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      for (std::size_t k = 0; k < 8 && i + k < n; ++k) {
        out[i + k] = static_cast<char>(state >> (8 * k));
      }
    }
    add(out);
  }
  void add(std::string_view data) {
    for (unsigned char c : data) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    bytes += data.size();
  }
};

// Sends `total` bytes as a streaming (push) producer, then closes.
class BulkSender : public RecordingProtocol, public net::Producer {
 public:
  explicit BulkSender(std::uint64_t total, bool closeWhenDone = true)
      : total_(total), closeWhenDone_(closeWhenDone) {}

  void connectionMade() override {
    RecordingProtocol::connectionMade();
    transport()->registerProducer(this, /*streaming=*/true);
    produce();
  }
  void pauseProducing() override {
    ++pauses;
    paused_ = true;
  }
  void resumeProducing() override {
    ++resumes;
    paused_ = false;
    produce();
  }
  void stopProducing() override { stopped = true; }

  Stream stream;
  int pauses = 0;
  int resumes = 0;
  bool stopped = false;

 private:
  void produce() {
    while (!paused_ && transport() != nullptr && stream.bytes < total_) {
      stream.fill(chunk_, std::min<std::uint64_t>(64 * 1024, total_ - stream.bytes));
      transport()->write(chunk_);
    }
    if (stream.bytes == total_ && transport() != nullptr && !done_) {
      done_ = true;
      transport()->unregisterProducer();
      if (closeWhenDone_) transport()->loseConnection();
    }
  }

  std::uint64_t total_;
  bool closeWhenDone_;
  bool paused_ = false;
  bool done_ = false;
  std::string chunk_;
};

// Checksums what it receives.
class HashingReceiver : public RecordingProtocol {
 public:
  void dataReceived(std::string_view data) override {
    stream.add(data);
    if (onData) onData(*this, data);
  }
  Stream stream;
};

// 64 MiB, client to server, checked by checksum and length; the sender is
// paused by the high-water mark and resumed as the buffer drains (PC2).
TEST_P(TcpFlowTest, Transfer64MiBChecksum) {
  constexpr std::uint64_t kTotal = 64ull * 1024 * 1024;
  auto serverFactory =
      std::make_shared<TestFactory>([] { return std::make_shared<HashingReceiver>(); });
  auto port = listen(serverFactory);
  auto sender = std::make_shared<BulkSender>(kTotal);
  connect(port, factoryFor(sender));
  ASSERT_TRUE(iterateUntil(
      [&] {
        auto r = serverFactory->protocol<HashingReceiver>();
        return sender->lost && r && r->lost;
      },
      Seconds(120)));
  auto receiver = serverFactory->protocol<HashingReceiver>();
  EXPECT_EQ(receiver->stream.bytes, kTotal);
  EXPECT_EQ(receiver->stream.hash, sender->stream.hash);
  EXPECT_TRUE(receiver->reason.check<ConnectionDone>());
  EXPECT_TRUE(sender->reason.check<ConnectionDone>());
  EXPECT_GT(sender->pauses, 0);
  // The producer may finish (and unregister) while paused: the last pause
  // then has no resume. Never more resumes than pauses, never two pauses
  // in a row.
  EXPECT_GE(sender->pauses, sender->resumes);
  EXPECT_LE(sender->pauses - sender->resumes, 1);
  EXPECT_FALSE(sender->stopped);  // unregistered before the close
}

// A slow reader: the client pauses its transport (no reads), the server's
// buffer passes the high-water mark and its producer is paused; after
// the client resumes, the producer is resumed and every byte arrives in
// order (PC2, N11).
TEST_P(TcpFlowTest, SlowReaderPausesAndResumesProducer) {
  constexpr std::uint64_t kTotal = 8ull * 1024 * 1024;
  std::shared_ptr<BulkSender> server;
  auto serverFactory = std::make_shared<TestFactory>([&] {
    server = std::make_shared<BulkSender>(kTotal);
    return server;
  });
  auto port = listen(serverFactory);
  auto client = std::make_shared<HashingReceiver>();
  bool paused = false;
  bool resumed = false;
  DelayedCall resume;
  client->onData = [&](RecordingProtocol& p, std::string_view) {
    if (paused) return;
    paused = true;
    p.transport()->pauseProducing();
    net::Transport* t = p.transport();
    resume = reactor().callLater(Seconds(0.2), [&, t] {
      // The server must be stuck on its high-water mark by now: paused, and
      // not resumed since. It may have been resumed and paused again on the
      // way: a completion transport (IOCP; Twisted's iocpreactor alike) sees
      // an overlapped send finish as soon as the reader frees some window,
      // where readiness transports wait for the kernel's low-water POLLOUT.
      EXPECT_GT(server->pauses, 0);
      EXPECT_EQ(server->pauses, server->resumes + 1);
      resumed = true;
      t->resumeProducing();
    });
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && server && server->lost; }, Seconds(60)));
  EXPECT_TRUE(resumed);
  EXPECT_GT(server->resumes, 0);
  EXPECT_EQ(client->stream.bytes, kTotal);
  EXPECT_EQ(client->stream.hash, server->stream.hash);
}

// An echo protocol that registers its transport as a streaming producer of
// itself (twisted.protocols.portforward's pattern;
// benchmarks/torsion_echo_server.cc): while the peer does not read, the
// write buffer's high-water mark pauses reading, so the echo backlog stays
// near 64 KiB instead of absorbing all the peer sends; once the peer reads
// again every byte comes back in order.
//
// Small kernel buffers on both ends make the backlog form in user space,
// not in the kernel. A completion transport (IOCP) is no FileDescriptor;
// its kernel buffers are left as they are.
bool shrinkKernelBuffer(net::Transport* t, int option) {
  auto* fd = dynamic_cast<FileDescriptor*>(t);
  if (fd == nullptr) return false;
  const int bytes = 32 * 1024;
  ::setsockopt(fd->fileno(), SOL_SOCKET, option, reinterpret_cast<const char*>(&bytes),
               sizeof bytes);
  return true;
}

class SelfProducingEcho : public RecordingProtocol {
 public:
  void connectionMade() override {
    RecordingProtocol::connectionMade();
    readiness = shrinkKernelBuffer(transport(), SO_SNDBUF);
    transport()->registerProducer(transport(), /*streaming=*/true);
  }
  void dataReceived(std::string_view data) override {
    transport()->write(data);
    maxBacklog = std::max(maxBacklog, transport()->writeBufferSize());
  }
  std::size_t maxBacklog = 0;
  bool readiness = false;
};

class EchoedBulkSender : public BulkSender {
 public:
  using BulkSender::BulkSender;
  void dataReceived(std::string_view data) override { echoed.add(data); }
  Stream echoed;
};

TEST_P(TcpFlowTest, TransportAsItsOwnProducerBoundsAnEchoBacklog) {
  constexpr std::uint64_t kTotal = 8ull * 1024 * 1024;
  std::shared_ptr<SelfProducingEcho> server;
  auto serverFactory = std::make_shared<TestFactory>([&] {
    server = std::make_shared<SelfProducingEcho>();
    return server;
  });
  auto port = listen(serverFactory);
  auto client = std::make_shared<EchoedBulkSender>(kTotal, /*closeWhenDone=*/false);
  client->onMade = [](RecordingProtocol& p) {
    shrinkKernelBuffer(p.transport(), SO_RCVBUF);
    p.transport()->pauseProducing();  // read nothing for now
  };
  connect(port, factoryFor(client));
  // Let the client send until nothing more gets through (its producer
  // stays paused): the server has stopped reading, or, without
  // backpressure, has read everything into its write buffer.
  std::uint64_t last = ~std::uint64_t{0};
  for (int i = 0;
       i < 300 && client->stream.bytes != last && client->stream.bytes < kTotal; ++i) {
    last = client->stream.bytes;
    iterateUntil([] { return false; }, Seconds(0.2));
  }
  ASSERT_TRUE(server != nullptr);
  client->transport()->resumeProducing();
  ASSERT_TRUE(iterateUntil([&] { return client->echoed.bytes == kTotal; }, Seconds(60)));
  EXPECT_EQ(client->echoed.hash, client->stream.hash);
  // High-water mark (64 KiB) plus the read that crossed it, and one more
  // read a completion transport may have had in flight.
  EXPECT_LE(server->maxBacklog, 64u * 1024 + 2 * 64 * 1024);
  if (server->readiness) {
    EXPECT_GT(server->maxBacklog, 0u);  // the peer did stop reading
  }
  client->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return client->lost && server->lost; }, Seconds(10)));
  EXPECT_TRUE(server->reason.check<ConnectionDone>());
}

// Producer rules on a live transport: twisted/test/test_internet.py
// ProducerTests.test_doubleProducer (a second registerProducer throws),
// test_dontPausePullConsumerOnWrite (pull producers are never paused) and
// the immediate resumeProducing of a pull producer (PC1).
class CountingProducer : public net::Producer {
 public:
  void pauseProducing() override { events.push_back("pause"); }
  void resumeProducing() override {
    events.push_back("resume");
    if (onResume) onResume();
  }
  void stopProducing() override { events.push_back("stop"); }
  std::vector<std::string> events;
  std::function<void()> onResume;
};

TEST_P(TcpFlowTest, DoubleProducerAndPullProducerNeverPaused) {
  auto serverFactory =
      std::make_shared<TestFactory>([] { return std::make_shared<RecordingProtocol>(); });
  auto port = listen(serverFactory);
  CountingProducer pull;
  CountingProducer other;
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& p) {
    p.transport()->setWriteBufferLimits({.highWater = 10, .lowWater = 5});
    pull.onResume = [&] {
      if (pull.events.size() == 1) p.transport()->write(std::string(1000, 'x'));
    };
    p.transport()->registerProducer(&pull, /*streaming=*/false);
    EXPECT_THROW(p.transport()->registerProducer(&other, true), std::logic_error);
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] {
    auto s = serverFactory->protocol();
    return s && s->received.size() == 1000 && pull.events.size() >= 2;
  }));
  // Resumed at registration and again when the buffer drained; never
  // paused although the write passed the high-water mark.
  EXPECT_EQ(pull.events[0], "resume");
  for (const std::string& e : pull.events) EXPECT_NE(e, "pause");
  EXPECT_TRUE(other.events.empty());
  client->transport()->unregisterProducer();
  client->transport()->loseConnection();
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && serverFactory->protocol()->lost; }));
}

// test_internet.py ProducerTests.test_reentrantStreamingProducerUsingWrite
// (PC3): a push producer that writes past the high-water mark from inside
// resumeProducing is paused again: each drain gives "resume", "pause".
TEST_P(TcpFlowTest, ReentrantStreamingProducerUsingWrite) {
  auto serverFactory =
      std::make_shared<TestFactory>([] { return std::make_shared<RecordingProtocol>(); });
  auto port = listen(serverFactory);
  CountingProducer push;
  int rounds = 0;
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& p) {
    p.transport()->setWriteBufferLimits({.highWater = 10, .lowWater = 0});
    p.transport()->registerProducer(&push, /*streaming=*/true);
    // Fill the kernel so that our own buffer holds data.
    push.onResume = [&p, &rounds] {
      if (++rounds < 3) p.transport()->write(std::string(4 * 1024 * 1024, 'y'));
    };
    p.transport()->write(std::string(4 * 1024 * 1024, 'y'));
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil(
      [&] {
        auto s = serverFactory->protocol();
        return s && s->received.size() == 3u * 4 * 1024 * 1024;
      },
      Seconds(60)));
  ASSERT_GE(push.events.size(), 5u);
  EXPECT_EQ(push.events[0], "pause");
  EXPECT_EQ(push.events[1], "resume");
  EXPECT_EQ(push.events[2], "pause");
  EXPECT_EQ(push.events[3], "resume");
  EXPECT_EQ(push.events[4], "pause");
  client->transport()->unregisterProducer();
  client->transport()->loseConnection();
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && serverFactory->protocol()->lost; }));
}

// test_tcp.py ConnectionTestsMixin.test_disconnectWhileProducing (N8):
// loseConnection with a pull producer registered waits until
// unregisterProducer; test_unregisterProducerAfterDisconnect: unregistering
// after the loss does not re-register the transport (TearDown checks).
TEST_P(TcpFlowTest, DisconnectWhileProducing) {
  auto serverFactory =
      std::make_shared<TestFactory>([] { return std::make_shared<RecordingProtocol>(); });
  auto port = listen(serverFactory);
  CountingProducer pull;
  net::Transport* transport = nullptr;
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& p) {
    transport = p.transport();
    pull.onResume = [&p, &pull] {
      if (pull.events.size() <= 3) p.transport()->write("chunk;");
    };
    p.transport()->registerProducer(&pull, /*streaming=*/false);
    p.transport()->loseConnection();
  };
  client->onLost = [](RecordingProtocol& p, const Failure&) {
    p.transport()->unregisterProducer();
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return pull.events.size() >= 4; }));
  for (int i = 0; i < 5; ++i) reactor().iterate(Seconds(0.01));
  EXPECT_FALSE(client->lost);  // the producer still holds the close
  transport->unregisterProducer();
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && serverFactory->protocol()->lost; }));
  EXPECT_EQ(serverFactory->protocol()->received, "chunk;chunk;chunk;");
  EXPECT_TRUE(client->reason.check<ConnectionDone>());
}

// test_internet.py ProducerTests.test_unconnectedFileDescriptor (PC1):
// registering on a disconnected transport stops the producer at once;
// PC4: a connection loss stops the registered producer.
TEST_P(TcpFlowTest, ProducerStoppedOnLoss) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onMade = [](RecordingProtocol& self) { self.transport()->loseConnection(); };
    return p;
  });
  auto port = listen(serverFactory);
  CountingProducer registered;
  CountingProducer late;
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& p) {
    p.transport()->registerProducer(&registered, /*streaming=*/true);
  };
  client->onLost = [&](RecordingProtocol& p, const Failure&) {
    p.transport()->registerProducer(&late, /*streaming=*/true);
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && serverFactory->protocol()->lost; }));
  EXPECT_EQ(registered.events, std::vector<std::string>{"stop"});
  EXPECT_EQ(late.events, std::vector<std::string>{"stop"});
}

// The hard limit bounds the buffer: a peer that never reads cannot grow
// it past WriteBufferLimits::hardLimit; the connection is aborted.
TEST_P(TcpFlowTest, HardLimitAbortsConnection) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onMade = [](RecordingProtocol& self) { self.transport()->pauseProducing(); };
    return p;
  });
  auto port = listen(serverFactory);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) {
    p.transport()->setWriteBufferLimits({.hardLimit = 1024 * 1024});
    const std::string chunk(256 * 1024, 'z');
    for (int i = 0; i < 200 && p.connected() && !p.lost; ++i) p.transport()->write(chunk);
    EXPECT_LE(p.transport()->writeBufferSize(), 1024u * 1024);
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_TRUE(client->reason.check<ConnectionLost>());
  EXPECT_NE(client->reason.getErrorMessage().find("hard limit"), std::string::npos);
  auto server = serverFactory->protocol();
  server->transport()->resumeProducing();
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }));
}

// 1,000 simultaneous connections, each echoing one message.
TEST_P(TcpFlowTest, ThousandConnections) {
  constexpr int kConnections = 1000;
  // Both ends of every connection are watched: 2,000 descriptors.
  const BackendFeatures features = reactor().backend().features();
  if (features.maxFd >= 0 && features.maxFd < 2 * kConnections + 64) {
    GTEST_SKIP() << reactor().backendName() << " handles descriptors below "
                 << features.maxFd << " only";
  }
  if (features.maxWatched >= 0 && features.maxWatched < 2 * kConnections) {
    GTEST_SKIP() << reactor().backendName() << " watches at most " << features.maxWatched
                 << " descriptors at once";
  }
#ifndef _WIN32
  ScopedFdLimit limit(4 * kConnections);
  if (limit.hard() < 2 * kConnections + 64)
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low";
#endif
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenTCP(reactor(), 0, serverFactory,
                             {.backlog = 2 * kConnections, .interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok()) << port.status();
  int done = 0;
  int failed = 0;
  std::vector<std::shared_ptr<RecordingProtocol>> clients;
  auto clientFactory = std::make_shared<TestFactory>([&] {
    auto p = std::make_shared<RecordingProtocol>();
    const std::string message = "connection " + std::to_string(clients.size());
    p->onMade = [message](RecordingProtocol& self) { self.transport()->write(message); };
    p->onData = [message](RecordingProtocol& self, std::string_view) {
      if (self.received == message) self.transport()->loseConnection();
    };
    p->onLost = [&done](RecordingProtocol&, const Failure&) { ++done; };
    clients.push_back(p);
    return p;
  });
  clientFactory->onFailed = [&](net::Connector*, const Failure& f) {
    ++failed;
    ADD_FAILURE() << f.getErrorMessage();
  };
  for (int i = 0; i < kConnections; ++i) {
    net::connectTCP(reactor(), "127.0.0.1", (*port)->getHost().port, clientFactory);
  }
  ASSERT_TRUE(iterateUntil([&] { return done + failed == kConnections; }, Seconds(60)));
  EXPECT_EQ(failed, 0);
  int maxOpen = 0;
  for (auto& c : clients) {
    EXPECT_TRUE(c->reason.check<ConnectionDone>());
    EXPECT_EQ(c->received.rfind("connection ", 0), 0u);
    maxOpen += c->made;
  }
  EXPECT_EQ(maxOpen, kConnections);
  ASSERT_TRUE(iterateUntil([&] {
    if (serverFactory->built.size() != static_cast<std::size_t>(kConnections))
      return false;
    for (auto& p : serverFactory->built) {
      if (!std::static_pointer_cast<RecordingProtocol>(p)->lost) return false;
    }
    return true;
  }));
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TcpFlowTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
