// TLS over real loopback TCP on every backend (AllBackends/TlsTest.<Case>/
// <backend>): listenSSL / connectSSL with certificates made in the test.
// The exact protocol cases run over iosim in net/tls/tls_protocol_test.cc.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "backends/registry.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "net/flooding_protocol.h"
#include "net/tls/ssl.h"
#include "net/tls/test_certificates.h"
#include "net/tls/tls_protocol.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

class TlsTest : public NetTest {
 protected:
  std::shared_ptr<net::ListeningPort> listenTLS(std::shared_ptr<net::Factory> factory,
                                                const net::tls::CertificateAndKey& cert) {
    auto context =
        net::tls::CertificateOptions::fromPem(cert.certificatePem, cert.privateKeyPem);
    EXPECT_TRUE(context.ok()) << context.status();
    auto port = net::tls::listenSSL(reactor(), 0, std::move(factory), *context,
                                    {.interface = "127.0.0.1"});
    EXPECT_TRUE(port.ok()) << port.status();
    if (!port.ok()) return nullptr;
    ports_.push_back(*port);
    return *port;
  }
  void connectTLS(const std::shared_ptr<net::ListeningPort>& port,
                  std::shared_ptr<net::ClientFactory> factory,
                  std::string_view hostname) {
    auto context = net::tls::optionsForClientTLS(hostname, ca.certificatePem());
    ASSERT_TRUE(context.ok()) << context.status();
    net::tls::connectSSL(reactor(), "127.0.0.1", port->getHost().port, std::move(factory),
                         *context);
  }
  void TearDown() override {
    int pending = 0;
    for (auto& p : ports_) {
      ++pending;
      p->stopListening().addCallback([&pending] { --pending; });
    }
    EXPECT_TRUE(iterateUntil([&] { return pending == 0; }));
    NetTest::TearDown();
  }

  net::tls::TestCertificateAuthority ca{"torsion test CA"};

 private:
  std::vector<std::shared_ptr<net::ListeningPort>> ports_;
};

TEST_P(TlsTest, Echo) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listenTLS(serverFactory, ca.issue("localhost"));
  ASSERT_TRUE(port);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) { p.transport()->write("hello, world"); };
  client->onData = [](RecordingProtocol& p, std::string_view) {
    if (p.received == "hello, world") p.transport()->loseConnection();
  };
  auto clientFactory = factoryFor(client);
  connectTLS(port, clientFactory, "localhost");
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_EQ(client->received, "hello, world");
  EXPECT_TRUE(client->reason.check<ConnectionDone>()) << client->reason.str();
  EXPECT_TRUE(serverFactory->protocol()->reason.check<ConnectionDone>())
      << serverFactory->protocol()->reason.str();
  EXPECT_EQ(client->peer.port, port->getHost().port);  // the TCP addresses show through
  EXPECT_EQ(clientFactory->losses, 1);
}

// The client streams 8 MiB while the server's application reads nothing
// until the client's producer has been paused: backpressure crosses TLS.
TEST_P(TlsTest, SlowReaderPausesTheSendersProducer) {
  constexpr std::size_t kTotal = 8 * 1024 * 1024;
  std::size_t received = 0;
  auto serverFactory = std::make_shared<TestFactory>([&] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onMade = [](RecordingProtocol& self) { self.transport()->pauseProducing(); };
    p->onData = [&received](RecordingProtocol& self, std::string_view data) {
      received += data.size();
      self.received.clear();
    };
    return p;
  });
  auto port = listenTLS(serverFactory, ca.issue("localhost"));
  ASSERT_TRUE(port);

  auto sender =
      std::make_shared<net::FloodingProtocol<RecordingProtocol>>(kTotal, 64 * 1024);
  connectTLS(port, factoryFor(sender), "localhost");
  ASSERT_TRUE(iterateUntil(
      [&] { return sender->paused && serverFactory->protocol() != nullptr; }));
  EXPECT_LT(sender->sent, kTotal);
  serverFactory->protocol()->transport()->resumeProducing();
  ASSERT_TRUE(iterateUntil([&] { return serverFactory->protocol()->lost; }));
  EXPECT_EQ(received, kTotal);
  EXPECT_GE(sender->pauses, 1);
  EXPECT_TRUE(serverFactory->protocol()->reason.check<ConnectionDone>())
      << serverFactory->protocol()->reason.str();
}

TEST_P(TlsTest, HalfCloseCarriesCloseNotify) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->halfClose = true;
    p->onReadLost = [](RecordingProtocol& self) {
      self.transport()->write("got " + self.received);
      self.transport()->loseConnection();
    };
    return p;
  });
  auto port = listenTLS(serverFactory, ca.issue("localhost"));
  ASSERT_TRUE(port);
  auto client = std::make_shared<RecordingProtocol>();
  client->halfClose = true;
  client->onMade = [](RecordingProtocol& p) {
    p.transport()->write("question");
    p.transport()->loseWriteConnection();
  };
  connectTLS(port, factoryFor(client), "localhost");
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_EQ(client->received, "got question");
  EXPECT_TRUE(client->readLost);
  EXPECT_TRUE(client->reason.check<ConnectionDone>()) << client->reason.str();
}

TEST_P(TlsTest, HostnameMismatchReachesConnectionLost) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listenTLS(serverFactory, ca.issue("localhost"));
  ASSERT_TRUE(port);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) { p.transport()->write("secret"); };
  connectTLS(port, factoryFor(client), "example.com");
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  ASSERT_TRUE(client->reason.check<net::tls::TLSError>()) << client->reason.str();
  EXPECT_NE(client->reason.getErrorMessage().find("hostname mismatch"), std::string::npos)
      << client->reason.getErrorMessage();
  EXPECT_TRUE(serverFactory->protocol()->reason.check<net::tls::TLSError>());
  EXPECT_EQ(serverFactory->protocol()->received, "");
}

// The server closes its TCP connection under TLS: no close_notify, so the
// client cannot tell truncation from the end and says so.
TEST_P(TlsTest, TcpCloseWithoutCloseNotifyIsAnError) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onData = [](RecordingProtocol& self, std::string_view) {
      auto* tls = dynamic_cast<net::tls::TLSMemoryBIOProtocol*>(self.transport());
      tls->transport()->loseConnection();  // the TCP transport, under TLS
    };
    return p;
  });
  auto port = listenTLS(serverFactory, ca.issue("localhost"));
  ASSERT_TRUE(port);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) { p.transport()->write("hi"); };
  connectTLS(port, factoryFor(client), "localhost");
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  ASSERT_TRUE(client->reason.check<net::tls::TLSError>()) << client->reason.str();
  EXPECT_NE(client->reason.getErrorMessage().find("without close_notify"),
            std::string::npos)
      << client->reason.getErrorMessage();
  ASSERT_TRUE(iterateUntil([&] { return serverFactory->protocol()->lost; }));
}

// startTLS over real TCP: a plaintext greeting, then TLS both ways.
TEST_P(TlsTest, StartTLS) {
  auto cert = ca.issue("localhost");
  auto serverContext =
      net::tls::CertificateOptions::fromPem(cert.certificatePem, cert.privateKeyPem);
  ASSERT_TRUE(serverContext.ok());
  auto serverFactory = std::make_shared<TestFactory>([&] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onData = [&](RecordingProtocol& self, std::string_view) {
      if (self.received == "STARTTLS") {
        self.transport()->write("OK");
        EXPECT_TRUE(net::tls::startTLS(self.transport(), *serverContext).ok());
      } else if (self.received == "STARTTLSsecret") {
        self.transport()->write("SECRET");
        self.transport()->loseConnection();
      }
    };
    return p;
  });
  auto port = listen(net::tls::TLSMemoryBIOFactory::startTLSCapable(serverFactory));
  ASSERT_TRUE(port);
  auto clientContext = net::tls::optionsForClientTLS("localhost", ca.certificatePem());
  ASSERT_TRUE(clientContext.ok());
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) { p.transport()->write("STARTTLS"); };
  client->onData = [&](RecordingProtocol& p, std::string_view) {
    if (p.received == "OK") {
      EXPECT_TRUE(net::tls::startTLS(p.transport(), *clientContext).ok());
      p.transport()->write("secret");
    }
  };
  connect(port, net::tls::TLSMemoryBIOFactory::startTLSCapable(factoryFor(client)));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_EQ(client->received, "OKSECRET");
  EXPECT_TRUE(client->reason.check<ConnectionDone>()) << client->reason.str();
}

TEST_P(TlsTest, WrongContextKindIsRefused) {
  auto client = net::tls::optionsForClientTLS("localhost", ca.certificatePem());
  ASSERT_TRUE(client.ok());
  auto port = net::tls::listenSSL(reactor(), 0, std::make_shared<TestFactory>(), *client);
  EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
  auto cert = ca.issue("localhost");
  auto server =
      net::tls::CertificateOptions::fromPem(cert.certificatePem, cert.privateKeyPem);
  ASSERT_TRUE(server.ok());
  EXPECT_THROW(net::tls::connectSSL(reactor(), "127.0.0.1", 1,
                                    std::make_shared<TestFactory>(), *server),
               std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TlsTest, ::testing::ValuesIn(availableBackends()),
                         BackendName());

}  // namespace
}  // namespace torsion::testing
