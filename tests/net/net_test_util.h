// torsion/tests/net/net_test_util.h: protocols, factories and a fixture
// for the net/ conformance suites (Twisted's connectionmixins.py:
// ConnectableProtocol, runProtocolsWithReactor, ClosingFactory...).
//
//   TEST_P(TcpTest, Echo) {
//     auto server = listenEcho();
//     auto client = std::make_shared<RecordingProtocol>();
//     client->onMade = [](RecordingProtocol& p) { p.transport()->write("hi"); };
//     connectTo(port(server), client);
//     ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
//   }
//
// Every fixture inherits ReactorTest's dirty-reactor check.
#ifndef TORSION_TESTS_NET_NET_TEST_UTIL_H_
#define TORSION_TESTS_NET_NET_TEST_UTIL_H_

#ifndef _WIN32
#include <sys/resource.h>
#endif

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deferred/failure.h"
#include "gtest/gtest.h"
#include "net/errors.h"
#include "net/protocol.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/tcp.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {

// A protocol that records what happens to it and runs optional hooks.
class RecordingProtocol : public net::Protocol {
 public:
  std::function<void(RecordingProtocol&)> onMade;
  std::function<void(RecordingProtocol&, std::string_view)> onData;
  std::function<void(RecordingProtocol&, const Failure&)> onLost;
  std::function<void(RecordingProtocol&)> onReadLost;
  bool halfClose = false;

  int made = 0;
  bool lost = false;
  int lostCount = 0;
  Failure reason;
  std::string received;
  bool readLost = false;
  bool writeLost = false;
  net::Address host;
  net::Address peer;

  void connectionMade() override {
    ++made;
    host = transport()->getHost();
    peer = transport()->getPeer();
    if (onMade) onMade(*this);
  }
  void dataReceived(std::string_view data) override {
    received.append(data);
    if (onData) onData(*this, data);
  }
  void connectionLost(const Failure& why) override {
    lost = true;
    ++lostCount;
    reason = why;
    if (onLost) onLost(*this, why);
  }
  bool halfCloseable() const override { return halfClose; }
  void readConnectionLost() override {
    readLost = true;
    if (onReadLost) onReadLost(*this);
  }
  void writeConnectionLost() override { writeLost = true; }
};

// Echoes what it receives.
class EchoProtocol : public RecordingProtocol {
 public:
  EchoProtocol() {
    onData = [](RecordingProtocol& p, std::string_view d) { p.transport()->write(d); };
  }
};

// A server factory whose buildProtocol is a function; it keeps every
// protocol it built so tests can look at them.
class TestFactory : public net::ClientFactory {
 public:
  explicit TestFactory(std::function<std::shared_ptr<net::Protocol>()> make = nullptr)
      : make_(std::move(make)) {}

  std::shared_ptr<net::Protocol> buildProtocol(const net::Address& address) override {
    addresses.push_back(address);
    std::shared_ptr<net::Protocol> p =
        make_ ? make_()
              : std::static_pointer_cast<net::Protocol>(std::make_shared<EchoProtocol>());
    if (p) {
      p->setFactory(this);
      built.push_back(p);
    }
    return p;
  }
  void startFactory() override { ++started; }
  void stopFactory() override { ++stopped; }
  void startedConnecting(net::Connector* c) override { startedWith.push_back(c); }
  void clientConnectionFailed(net::Connector* c, const Failure& why) override {
    failedWith = c;
    failure = why;
    ++failures;
    if (onFailed) onFailed(c, why);
  }
  void clientConnectionLost(net::Connector* c, const Failure& why) override {
    lostWith = c;
    lostReason = why;
    ++losses;
    if (onLost) onLost(c, why);
  }

  template <typename P = RecordingProtocol>
  std::shared_ptr<P> protocol(std::size_t i = 0) const {
    return i < built.size() ? std::dynamic_pointer_cast<P>(built[i]) : nullptr;
  }

  std::function<void(net::Connector*, const Failure&)> onFailed;
  std::function<void(net::Connector*, const Failure&)> onLost;
  std::vector<std::shared_ptr<net::Protocol>> built;
  std::vector<net::Address> addresses;
  std::vector<net::Connector*> startedWith;
  int started = 0;
  int stopped = 0;
  int failures = 0;
  int losses = 0;
  net::Connector* failedWith = nullptr;
  net::Connector* lostWith = nullptr;
  Failure failure;
  Failure lostReason;

 private:
  std::function<std::shared_ptr<net::Protocol>()> make_;
};

// A factory that always hands out the one protocol it was given.
inline std::shared_ptr<TestFactory> factoryFor(std::shared_ptr<net::Protocol> p) {
  return std::make_shared<TestFactory>([p] { return p; });
}

// Whether `client` and the first protocol `server` built have both lost
// the connection: how most exchanges in these suites end.
inline bool bothLost(const RecordingProtocol& client, const TestFactory& server) {
  auto s = server.protocol();
  return client.lost && s && s->lost;
}

#ifndef _WIN32
// Raises (or lowers) RLIMIT_NOFILE's soft limit for a scope (POSIX only:
// Windows has no descriptor limit of this kind).
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft) {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit r = saved_;
    r.rlim_cur = std::min(soft, saved_.rlim_max);
    ok_ = setrlimit(RLIMIT_NOFILE, &r) == 0;
  }
  ~ScopedFdLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }
  rlim_t hard() const { return saved_.rlim_max; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};
#endif

// A loopback port (IPv4 `family` AF_INET, or AF_INET6 on ::1) that nothing
// listens on: bound, read back and closed again. 0 if the family has no
// loopback here (no IPv6). Portable: uses net/socket_ops.h.
inline std::uint16_t unusedLoopbackPort(int family = AF_INET, int type = SOCK_STREAM) {
  absl::StatusOr<net::internal::SockAddr> a =
      net::internal::ipLiteral(family == AF_INET6 ? "::1" : "127.0.0.1", 0);
  if (!a.ok()) return 0;
  const int s = net::internal::openSocket(family, type);
  if (s < 0) return 0;
  std::uint16_t port = 0;
  if (::bind(s, a->get(), a->len) == 0) {
    port = static_cast<std::uint16_t>(net::internal::localAddress(s, "TCP").port);
  }
  net::internal::closeSocket(s);
  return port;
}

class NetTest : public ReactorTest {
 protected:
  // Listens on 127.0.0.1 (or `interface`), port 0.
  std::shared_ptr<net::ListeningPort> listen(std::shared_ptr<net::Factory> factory,
                                             std::string interface = "127.0.0.1") {
    auto port =
        net::listenTCP(reactor(), 0, std::move(factory), {.interface = interface});
    EXPECT_TRUE(port.ok()) << port.status();
    if (!port.ok()) return nullptr;
    ports_.push_back(*port);
    return *port;
  }
  static std::uint16_t portOf(const std::shared_ptr<net::ListeningPort>& p) {
    return p->getHost().port;
  }
  std::shared_ptr<net::Connector> connect(const std::shared_ptr<net::ListeningPort>& port,
                                          std::shared_ptr<net::ClientFactory> factory,
                                          net::ConnectOptions options = {}) {
    const net::Address a = port->getHost();
    return net::connectTCP(reactor(), a.host, a.port, std::move(factory), options);
  }
  // Stops every port listen() made and waits for it.
  void stopPorts() {
    int pending = 0;
    for (auto& p : ports_) {
      ++pending;
      p->stopListening().addCallback([&pending] { --pending; });
    }
    ports_.clear();
    EXPECT_TRUE(iterateUntil([&] { return pending == 0; }));
  }
  void TearDown() override {
    if (!ports_.empty()) stopPorts();
    ReactorTest::TearDown();
  }

 private:
  std::vector<std::shared_ptr<net::ListeningPort>> ports_;
};

// The suites' fixtures, shared with their *_posix_test.cc halves (same
// suite names, one INSTANTIATE_TEST_SUITE_P each, in the portable file).
class TcpTest : public NetTest {};
class TcpFlowTest : public NetTest {};

}  // namespace torsion::testing

#endif  // TORSION_TESTS_NET_NET_TEST_UTIL_H_
