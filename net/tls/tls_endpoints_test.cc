// "ssl:" and "tls:" descriptions: parsing, bad inputs, and endpoints that
// wrap their factories in TLS (on MemoryReactor, connected over iosim).
#include "net/tls/tls_endpoints.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "net/iosim.h"
#include "net/memory_reactor.h"
#include "net/tls/test_certificates.h"
#include "net/tls/tls_protocol.h"

namespace torsion::net::tls {
namespace {

std::string message(const absl::Status& status) { return std::string(status.message()); }

TEST(TlsEndpointsParseTest, SslServerWithTwistedsKeywords) {
  auto spec = parseSslServerSpec(
      "ssl:443:privateKey=key.pem:certKey=cert.pem:interface=127.0.0.1:backlog=7");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->tcp.port, 443);
  EXPECT_EQ(spec->tcp.interface, "127.0.0.1");
  EXPECT_EQ(spec->tcp.backlog, 7);
  EXPECT_EQ(spec->privateKey, "key.pem");
  EXPECT_EQ(spec->certKey, "cert.pem");
  EXPECT_FALSE(spec->extraCertChain);
}

TEST(TlsEndpointsParseTest, SslServerDefaultsToServerPem) {
  auto spec = parseSslServerSpec("SSL:port=8443:extraCertChain=chain.pem");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->tcp.port, 8443);
  EXPECT_EQ(spec->privateKey, "server.pem");
  EXPECT_EQ(spec->certKey, "");
  EXPECT_EQ(spec->extraCertChain, "chain.pem");
}

TEST(TlsEndpointsParseTest, TlsClientPositionalAndKeywordForms) {
  auto spec = parseTlsClientSpec("tls:example.com:443:timeout=5:trustRoots=/etc/roots");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->tcp.host, "example.com");
  EXPECT_EQ(spec->tcp.port, 443);
  EXPECT_EQ(spec->tcp.timeout, Seconds(5));
  EXPECT_EQ(spec->trustRoots, "/etc/roots");
  auto keywords =
      parseTlsClientSpec("tls:host=localhost:port=8443:bindAddress=127.0.0.1");
  ASSERT_TRUE(keywords.ok()) << keywords.status();
  EXPECT_EQ(keywords->tcp.host, "localhost");
  EXPECT_EQ(keywords->tcp.port, 8443);
  EXPECT_EQ(keywords->tcp.bindAddress, "127.0.0.1");
  EXPECT_FALSE(keywords->trustRoots);
}

TEST(TlsEndpointsParseTest, BadDescriptionsQuoteWhatWasWritten) {
  struct Case {
    const char* description;
    const char* says;
  };
  for (const Case& c : {
           Case{"ssl:http", "port"},
           Case{"ssl:443:sslmethod=TLSv1", "sslmethod"},
           Case{"ssl:443:privateKey=", "privateKey is empty"},
           Case{"tls:example.com", "missing the port"},
           Case{"tls:port=443", "missing the host"},
           Case{"tls:example.com:443:certificate=c.pem",
                "'certificate' is not supported"},
           Case{"tls:example.com:99999", "port"},
           Case{"tcp:example.com:443", "not a tls: description"},
       }) {
    bool server = std::string_view(c.description).substr(0, 3) == "ssl";
    absl::Status status = server ? parseSslServerSpec(c.description).status()
                                 : parseTlsClientSpec(c.description).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.description;
    EXPECT_NE(message(status).find(std::string("'") + c.description + "'"),
              std::string::npos)
        << message(status);
    EXPECT_NE(message(status).find(c.says), std::string::npos) << message(status);
    if (c.description[1] != 'c') {
      EXPECT_EQ(message(status).find("'tcp:"), std::string::npos) << message(status);
    }
  }
  auto nul = parseTlsClientSpec(std::string_view("tls:a\0b:443", 11));
  EXPECT_NE(message(nul.status()).find("\\x00"), std::string::npos) << nul.status();
}

class TlsEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "tls_endpoints_test";
    std::filesystem::create_directories(dir_ / "roots");
    auto cert = ca.issue("localhost");
    write("cert.pem", cert.certificatePem);
    write("key.pem", cert.privateKeyPem);
    write("both.pem", cert.certificatePem + cert.privateKeyPem);
    write("roots/ca.pem", ca.certificatePem());
    write("roots/ignored.txt", "not a certificate");
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string path(const std::string& name) const {
    return quoteStringArgument((dir_ / name).string());
  }

  TestCertificateAuthority ca{"torsion test CA"};
  std::shared_ptr<MemoryReactor> reactor = std::make_shared<MemoryReactor>();

 private:
  std::filesystem::path dir_;
};

class Greeter : public Protocol {
 public:
  void connectionMade() override { transport()->write("hello"); }
  void dataReceived(std::string_view data) override { received.append(data); }
  std::string received;
};

TEST_F(TlsEndpointsTest, ServerAndClientStringsMakeAVerifiedConnection) {
  auto server = tls::serverFromString(
      reactor, "ssl:8443:privateKey=" + path("key.pem") + ":certKey=" + path("cert.pem"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto serverApp = std::make_shared<Greeter>();
  (*server)->listen(std::make_shared<internal::SimpleFactory<Greeter, ServerFactory>>());
  ASSERT_EQ(reactor->tcpServers.size(), 1u);
  EXPECT_EQ(reactor->tcpServers[0].spec.port, 8443);
  auto* serverFactory =
      dynamic_cast<TLSMemoryBIOFactory*>(reactor->tcpServers[0].factory.get());
  ASSERT_NE(serverFactory, nullptr);

  auto client =
      tls::clientFromString(reactor, "tls:localhost:8443:trustRoots=" + path("roots"));
  ASSERT_TRUE(client.ok()) << client.status();
  std::shared_ptr<Protocol> connected;
  (*client)
      ->connect(std::make_shared<internal::SimpleFactory<Greeter, ClientFactory>>())
      .addCallback([&](std::shared_ptr<Protocol> p) { connected = p; });
  ASSERT_EQ(reactor->tcpClients.size(), 1u);
  EXPECT_EQ(reactor->tcpClients[0].spec.host, "localhost");

  auto serverSide = serverFactory->buildProtocol(Address());
  auto clientSide = reactor->tcpClients[0].factory->buildProtocol(Address());
  IOPump pump = connect(serverSide, clientSide);
  pump.flush();
  auto* greeter = dynamic_cast<Greeter*>(connected.get());
  ASSERT_NE(greeter, nullptr);  // the application's protocol, not the wrapper
  EXPECT_EQ(greeter->received, "hello");
  auto* serverGreeter = dynamic_cast<Greeter*>(
      static_cast<TLSMemoryBIOProtocol*>(serverSide.get())->wrappedProtocol());
  EXPECT_EQ(serverGreeter->received, "hello");
}

TEST_F(TlsEndpointsTest, OnePemFileHoldsCertificateAndKey) {
  auto server = tls::serverFromString(reactor, "ssl:0:privateKey=" + path("both.pem"));
  EXPECT_TRUE(server.ok()) << server.status();
}

TEST_F(TlsEndpointsTest, FilesThatDoNotLoadAreNamed) {
  auto missing =
      tls::serverFromString(reactor, "ssl:443:privateKey=/nonexistent/key.pem");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(message(missing.status()).find("cannot read certKey /nonexistent/key.pem"),
            std::string::npos)
      << missing.status();
  auto wrongKey =
      tls::serverFromString(reactor, "ssl:443:privateKey=" + path("roots/ignored.txt") +
                                         ":certKey=" + path("cert.pem"));
  EXPECT_NE(message(wrongKey.status()).find("cannot load the private key"),
            std::string::npos)
      << wrongKey.status();
  auto noRoots =
      tls::clientFromString(reactor, "tls:localhost:443:trustRoots=/nonexistent");
  EXPECT_NE(message(noRoots.status()).find("cannot read trustRoots"), std::string::npos)
      << noRoots.status();
}

TEST_F(TlsEndpointsTest, OtherTypesArePassedOn) {
  EXPECT_TRUE(tls::serverFromString(reactor, "tcp:80").ok());
  EXPECT_TRUE(tls::clientFromString(reactor, "tcp:example.com:80").ok());
  EXPECT_NE(message(tls::serverFromString(reactor, "ftl:1").status())
                .find("Unknown endpoint type"),
            std::string::npos);
  // The system's CA store when no trustRoots are given.
  EXPECT_TRUE(tls::clientFromString(reactor, "tls:example.com:443").ok());
}

}  // namespace
}  // namespace torsion::net::tls
