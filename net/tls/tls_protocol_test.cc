// TLSMemoryBIOProtocol over iosim: the handshake, data both ways, closes
// and every kind of failure, with certificates made for each test.
#include "net/tls/tls_protocol.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "net/flooding_protocol.h"
#include "net/iosim.h"
#include "net/tls/context.h"
#include "net/tls/test_certificates.h"

namespace torsion::net::tls {
namespace {

// Records what reaches the application.
class Recorder : public Protocol {
 public:
  explicit Recorder(std::string greeting = "", bool halfClose = false)
      : greeting_(std::move(greeting)), halfClose_(halfClose) {}
  void connectionMade() override {
    made = true;
    if (!greeting_.empty()) transport()->write(greeting_);
  }
  void dataReceived(std::string_view data) override { received.append(data); }
  void connectionLost(const Failure& reason) override {
    lost = true;
    lostReason = reason;
  }
  bool halfCloseable() const override { return halfClose_; }
  void readConnectionLost() override { readLost = true; }

  std::string received;
  bool made = false;
  bool lost = false;
  bool readLost = false;
  Failure lostReason;

 private:
  std::string greeting_;
  bool halfClose_;
};

class Echo : public Recorder {
 public:
  void dataReceived(std::string_view data) override {
    Recorder::dataReceived(data);
    transport()->write(data);
  }
};

std::shared_ptr<ContextFactory> serverContext(const CertificateAndKey& cert) {
  auto context = CertificateOptions::fromPem(cert.certificatePem, cert.privateKeyPem);
  EXPECT_TRUE(context.ok()) << context.status();
  return *context;
}

std::shared_ptr<ContextFactory> clientContext(const TestCertificateAuthority& ca,
                                              std::string_view hostname = "localhost") {
  auto context = optionsForClientTLS(hostname, ca.certificatePem());
  EXPECT_TRUE(context.ok()) << context.status();
  return *context;
}

struct Pair {
  std::shared_ptr<Recorder> serverApp;
  std::shared_ptr<Recorder> clientApp;
  std::shared_ptr<TLSMemoryBIOProtocol> server;
  std::shared_ptr<TLSMemoryBIOProtocol> client;
  IOPump pump;
};

Pair connectTLS(std::shared_ptr<ContextFactory> serverCtx,
                std::shared_ptr<ContextFactory> clientCtx,
                std::shared_ptr<Recorder> serverApp,
                std::shared_ptr<Recorder> clientApp) {
  auto server = std::make_shared<TLSMemoryBIOProtocol>(serverCtx, serverApp);
  auto client = std::make_shared<TLSMemoryBIOProtocol>(clientCtx, clientApp);
  IOPump pump = connect(server, client, /*greet=*/false);
  return {serverApp, clientApp, server, client, std::move(pump)};
}

std::shared_ptr<Factory> factoryReturning(std::shared_ptr<Protocol> protocol) {
  class One : public ServerFactory {
   public:
    explicit One(std::shared_ptr<Protocol> p) : p_(std::move(p)) {}
    std::shared_ptr<Protocol> buildProtocol(const Address&) override { return p_; }

   private:
    std::shared_ptr<Protocol> p_;
  };
  return std::make_shared<One>(std::move(protocol));
}

class TLSProtocolTest : public ::testing::Test {
 protected:
  TestCertificateAuthority ca{"torsion test CA"};
};

TEST_F(TLSProtocolTest, EchoesAfterTheHandshakeWithWritesMadeBeforeIt) {
  auto p = connectTLS(serverContext(ca.issue("localhost")), clientContext(ca),
                      std::make_shared<Echo>(), std::make_shared<Recorder>("hello"));
  EXPECT_TRUE(p.clientApp->made);  // at once, before the handshake
  EXPECT_FALSE(p.client->handshakeDone());
  p.pump.flush();
  EXPECT_TRUE(p.client->handshakeDone());
  EXPECT_TRUE(p.server->handshakeDone());
  EXPECT_EQ(p.serverApp->received, "hello");
  EXPECT_EQ(p.clientApp->received, "hello");
  // What crosses the wire is not the plaintext.
  EXPECT_EQ(p.pump.clientIO().takeOutBuffer().find("hello"), std::string::npos);
}

TEST_F(TLSProtocolTest, VerifiesAnIpLiteralAgainstTheIpSubjectAltName) {
  auto p =
      connectTLS(serverContext(ca.issue("localhost")), clientContext(ca, "127.0.0.1"),
                 std::make_shared<Echo>(), std::make_shared<Recorder>("ip"));
  p.pump.flush();
  EXPECT_EQ(p.clientApp->received, "ip");
  EXPECT_FALSE(p.clientApp->lost);
}

TEST_F(TLSProtocolTest, LoseConnectionSendsCloseNotifyAfterTheData) {
  auto p =
      connectTLS(serverContext(ca.issue("localhost")), clientContext(ca),
                 std::make_shared<Recorder>(), std::make_shared<Recorder>("last words"));
  p.clientApp->transport()->loseConnection();  // before the handshake even ran
  EXPECT_TRUE(p.clientApp->transport()->disconnecting());
  p.pump.flush();
  EXPECT_EQ(p.serverApp->received, "last words");
  ASSERT_TRUE(p.serverApp->lost);
  EXPECT_TRUE(p.serverApp->lostReason.check<ConnectionDone>())
      << p.serverApp->lostReason.str();
  ASSERT_TRUE(p.clientApp->lost);
  EXPECT_TRUE(p.clientApp->lostReason.check<ConnectionDone>())
      << p.clientApp->lostReason.str();
}

TEST_F(TLSProtocolTest, HalfCloseDeliversCloseNotifyAsReadConnectionLost) {
  auto serverApp = std::make_shared<Recorder>("", /*halfClose=*/true);
  auto clientApp = std::make_shared<Recorder>("question", /*halfClose=*/true);
  auto p = connectTLS(serverContext(ca.issue("localhost")), clientContext(ca), serverApp,
                      clientApp);
  p.pump.flush();
  clientApp->transport()->loseWriteConnection();
  clientApp->transport()->write("ignored after the half-close");
  p.pump.flush();
  EXPECT_EQ(serverApp->received, "question");
  EXPECT_TRUE(serverApp->readLost);
  EXPECT_FALSE(serverApp->lost);
  // The other direction still works.
  serverApp->transport()->write("answer");
  serverApp->transport()->loseConnection();
  p.pump.flush();
  EXPECT_EQ(clientApp->received, "answer");
  EXPECT_TRUE(clientApp->readLost);
  EXPECT_TRUE(serverApp->lost);
}

TEST_F(TLSProtocolTest, LargeTransferWithAPausedReader) {
  auto p = connectTLS(serverContext(ca.issue("localhost")), clientContext(ca),
                      std::make_shared<Recorder>(), std::make_shared<Recorder>());
  p.pump.flush();
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  p.serverApp->transport()->pauseProducing();  // the application's consumer is full
  p.clientApp->transport()->write(big);
  p.pump.flush();
  EXPECT_TRUE(p.pump.serverIO().readPaused());
  EXPECT_TRUE(p.serverApp->received.empty());
  p.serverApp->transport()->resumeProducing();
  p.pump.flush();
  EXPECT_EQ(p.serverApp->received.size(), big.size());
  EXPECT_TRUE(p.serverApp->received == big);
}

TEST_F(TLSProtocolTest, StreamingProducerIsPausedWhileTheHandshakeHoldsItsOutput) {
  auto flood = std::make_shared<FloodingProtocol<Recorder>>(1024 * 1024, 16 * 1024);
  auto p = connectTLS(serverContext(ca.issue("localhost")), clientContext(ca),
                      std::make_shared<Recorder>(), flood);
  EXPECT_TRUE(flood->paused);  // bounded, not the whole megabyte
  EXPECT_LE(flood->sent, 96u * 1024);
  EXPECT_GE(p.client->writeBufferSize(), 64u * 1024);
  p.pump.flush();
  EXPECT_TRUE(flood->done);
  EXPECT_EQ(p.serverApp->received.size(), 1024u * 1024);
  EXPECT_TRUE(p.serverApp->lost);
  EXPECT_TRUE(p.serverApp->lostReason.check<ConnectionDone>())
      << p.serverApp->lostReason.str();
}

// A failure on the client's side of the handshake: the client's reason
// names the verification error, the server's the alert it received.
void expectRejected(Pair& p, std::string_view clientReason) {
  p.pump.flush();
  ASSERT_TRUE(p.clientApp->lost);
  ASSERT_TRUE(p.clientApp->lostReason.check<TLSError>()) << p.clientApp->lostReason.str();
  EXPECT_NE(p.clientApp->lostReason.getErrorMessage().find(clientReason),
            std::string::npos)
      << p.clientApp->lostReason.getErrorMessage();
  EXPECT_NE(p.clientApp->lostReason.getErrorMessage().find("certificate verify failed"),
            std::string::npos);
  EXPECT_TRUE(p.clientApp->received.empty());
  ASSERT_TRUE(p.serverApp->lost);
  ASSERT_TRUE(p.serverApp->lostReason.check<TLSError>()) << p.serverApp->lostReason.str();
  EXPECT_NE(p.serverApp->lostReason.getErrorMessage().find("alert"), std::string::npos)
      << p.serverApp->lostReason.getErrorMessage();
  EXPECT_TRUE(p.serverApp->received.empty());  // "secret" never decrypted
}

TEST_F(TLSProtocolTest, HostnameMismatchFailsTheConnection) {
  auto p = connectTLS(serverContext(ca.issue("other.example")), clientContext(ca),
                      std::make_shared<Echo>(), std::make_shared<Recorder>("secret"));
  expectRejected(p, "hostname mismatch");
}

TEST_F(TLSProtocolTest, SelfSignedCertificateFailsTheConnection) {
  auto p = connectTLS(serverContext(selfSigned("localhost")), clientContext(ca),
                      std::make_shared<Echo>(), std::make_shared<Recorder>("secret"));
  expectRejected(p, "self-signed certificate");
}

TEST_F(TLSProtocolTest, CertificateFromAnotherAuthorityFailsTheConnection) {
  TestCertificateAuthority stranger("another CA");
  auto p = connectTLS(serverContext(stranger.issue("localhost")), clientContext(ca),
                      std::make_shared<Echo>(), std::make_shared<Recorder>("secret"));
  expectRejected(p, "unable to get local issuer certificate");
}

TEST_F(TLSProtocolTest, ExpiredCertificateFailsTheConnection) {
  auto expired =
      ca.issue("localhost", {.validFromSeconds = -7200, .validForSeconds = 3600});
  auto p = connectTLS(serverContext(expired), clientContext(ca), std::make_shared<Echo>(),
                      std::make_shared<Recorder>("secret"));
  expectRejected(p, "certificate has expired");
}

TEST_F(TLSProtocolTest, GarbageFromThePeerFailsTheHandshake) {
  auto serverApp = std::make_shared<Recorder>();
  auto server = std::make_shared<TLSMemoryBIOProtocol>(
      serverContext(ca.issue("localhost")), serverApp);
  auto plain = std::make_shared<Recorder>("GET / HTTP/1.0\r\n\r\n");
  IOPump pump = connect(server, plain, /*greet=*/false);
  pump.flush();
  ASSERT_TRUE(serverApp->lost);
  ASSERT_TRUE(serverApp->lostReason.check<TLSError>());
  EXPECT_NE(serverApp->lostReason.getErrorMessage().find("handshake failed"),
            std::string::npos)
      << serverApp->lostReason.getErrorMessage();
}

TEST_F(TLSProtocolTest, FactoryWrapsWhatTheWrappedFactoryBuilds) {
  auto inner = Factory::forProtocol<Echo>();
  TLSMemoryBIOFactory factory(serverContext(ca.issue("localhost")), inner);
  auto built = factory.buildProtocol(Address());
  auto* tls = dynamic_cast<TLSMemoryBIOProtocol*>(built.get());
  ASSERT_NE(tls, nullptr);
  EXPECT_NE(dynamic_cast<Echo*>(tls->wrappedProtocol()), nullptr);
  EXPECT_EQ(tls->factory(), &factory);
  factory.doStart();
  EXPECT_EQ(inner->numPorts(), 1);
  factory.doStop();
  EXPECT_EQ(inner->numPorts(), 0);
  EXPECT_THROW(TLSMemoryBIOFactory(serverContext(ca.issue("localhost")), nullptr),
               std::invalid_argument);
}

// A line-based greeting in plaintext, then TLS on both sides (SMTP's
// STARTTLS, in miniature).
TEST_F(TLSProtocolTest, StartTLSSwitchesAPlaintextConnection) {
  auto serverApp = std::make_shared<Recorder>();
  auto clientApp = std::make_shared<Recorder>("STARTTLS\r\n");
  auto serverFactory = TLSMemoryBIOFactory::startTLSCapable(factoryReturning(serverApp));
  auto clientFactory = TLSMemoryBIOFactory::startTLSCapable(factoryReturning(clientApp));
  auto server = serverFactory->buildProtocol(Address());
  auto client = clientFactory->buildProtocol(Address());
  IOPump pump = connect(server, client, /*greet=*/false);
  EXPECT_EQ(pump.clientIO().takeOutBuffer(), "STARTTLS\r\n");  // plaintext on the wire
  clientApp->transport()->write("STARTTLS\r\n");
  pump.flush();
  EXPECT_EQ(serverApp->received, "STARTTLS\r\n");
  serverApp->transport()->write("220 go ahead\r\n");
  ASSERT_TRUE(
      startTLS(serverApp->transport(), serverContext(ca.issue("localhost"))).ok());
  pump.flush();
  EXPECT_EQ(clientApp->received, "220 go ahead\r\n");
  ASSERT_TRUE(startTLS(clientApp->transport(), clientContext(ca)).ok());
  clientApp->transport()->write("secret");
  EXPECT_FALSE(static_cast<TLSMemoryBIOProtocol*>(client.get())->handshakeDone());
  pump.flush();
  EXPECT_EQ(serverApp->received, "STARTTLS\r\nsecret");
  EXPECT_TRUE(static_cast<TLSMemoryBIOProtocol*>(client.get())->handshakeDone());
  auto again = startTLS(clientApp->transport(), clientContext(ca));
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("already"), absl::string_view::npos);
}

TEST_F(TLSProtocolTest, StartTLSOnATransportThatCannotIsRefused) {
  auto [client, server, pump] = connectedServerAndClient<Recorder, Recorder>();
  auto status = startTLS(client->transport(), clientContext(ca));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("startTLSCapable"), absl::string_view::npos) << status;
}

TEST(TLSContextTest, BadInputsSayWhatFailed) {
  TestCertificateAuthority ca("torsion test CA");
  auto cert = ca.issue("localhost");
  auto other = ca.issue("localhost");
  auto noCert = CertificateOptions::fromPem("not a certificate", cert.privateKeyPem);
  EXPECT_EQ(noCert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(noCert.status().message().find("cannot load the certificate"),
            std::string::npos);
  auto noKey = CertificateOptions::fromPem(cert.certificatePem, "not a key");
  EXPECT_NE(noKey.status().message().find("cannot load the private key"),
            std::string::npos);
  auto wrongKey = CertificateOptions::fromPem(cert.certificatePem, other.privateKeyPem);
  EXPECT_NE(wrongKey.status().message().find("does not match"), std::string::npos)
      << wrongKey.status();
  auto missing =
      CertificateOptions::fromFiles("/nonexistent/cert.pem", "/nonexistent/key.pem");
  EXPECT_NE(
      missing.status().message().find("cannot read certificate /nonexistent/cert.pem"),
      std::string::npos);
  EXPECT_EQ(optionsForClientTLS("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(optionsForClientTLS(std::string_view("a\0b", 3)).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto noRoots = optionsForClientTLS("localhost", std::string("no PEM here"));
  EXPECT_NE(noRoots.status().message().find("no trust root"), std::string::npos);
  auto system = optionsForClientTLS("example.com");
  ASSERT_TRUE(system.ok()) << system.status();
  EXPECT_TRUE((*system)->isClient());
  EXPECT_EQ((*system)->hostname(), "example.com");
}

}  // namespace
}  // namespace torsion::net::tls
