// Tests for Int32/16/8StringReceiver: ports of Twisted's
// src/twisted/protocols/test/test_basic.py IntNTestCaseMixin,
// RecvdAttributeMixin, Int32Tests, Int16Tests and Int8Tests (older Twisted:
// test/test_protocols.py). The mixins become a typed test suite run for
// each prefix size; each test names the Twisted test it mirrors.
#include "net/int_string_receiver.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "net/string_transport.h"

namespace torsion::net {
namespace {

// Twisted's TestMixin: records strings, MAX_LENGTH 50, closed flag; the
// hooks stand in for Python's per-instance method replacement.
template <typename Base>
class TestIntN : public Base {
 public:
  TestIntN() { this->setMaxLength(50); }
  void connectionMade() override { received.clear(); }
  void stringReceived(std::string_view s) override {
    if (onString) return onString(s);
    received.emplace_back(s);
  }
  void lengthLimitExceeded(std::uint64_t length) override {
    if (onLimit) return onLimit(length);
    Base::lengthLimitExceeded(length);
  }
  void connectionLost(const Failure&) override { closed = true; }

  std::vector<std::string> received;
  bool closed = false;
  std::function<void(std::string_view)> onString;
  std::function<void(std::uint64_t)> onLimit;
};

struct Int32Case {
  using Protocol = TestIntN<Int32StringReceiver>;
  static std::vector<std::string> illegalStrings() {
    return {std::string("\x10\0\0\0aaaaaa", 10)};
  }
  static std::vector<std::string> partialStrings() {
    return {std::string("\0\0\0", 3), "hello there", ""};
  }
};
struct Int16Case {
  using Protocol = TestIntN<Int16StringReceiver>;
  static std::vector<std::string> illegalStrings() {
    return {std::string("\x10\0aaaaaa", 8)};
  }
  static std::vector<std::string> partialStrings() {
    return {std::string("\0", 1), "hello there", ""};
  }
};
struct Int8Case {
  using Protocol = TestIntN<Int8StringReceiver>;
  static std::vector<std::string> illegalStrings() {
    return {std::string("\0\0aaaaaa", 8)};
  }
  static std::vector<std::string> partialStrings() { return {"\x08", "dzadz", ""}; }
};

template <typename Case>
class IntNTests : public ::testing::Test {
 protected:
  using P = typename Case::Protocol;

  // LPTestCaseMixin.getProtocol: a new protocol on a new StringTransport.
  std::shared_ptr<P> getProtocol() {
    transports_.push_back(std::make_unique<StringTransport>());
    auto p = std::make_shared<P>();
    p->makeConnection(transports_.back().get());
    return p;
  }
  StringTransport& transportOf(P& p) {
    return static_cast<StringTransport&>(*p.transport());
  }

  // struct.pack(structFormat, n): big-endian, prefixLength bytes.
  static std::string pack(std::size_t prefixLength, std::uint64_t n) {
    std::string out(prefixLength, '\0');
    for (std::size_t i = 0; i < prefixLength; ++i) {
      out[prefixLength - 1 - i] = static_cast<char>((n >> (8 * i)) & 0xff);
    }
    return out;
  }
  static std::string makeMessage(P& p, std::string_view data) {
    return pack(p.prefixLength(), data.size()) + std::string(data);
  }

  const std::vector<std::string> strings_ = {"a", std::string(16, 'b')};

 private:
  std::vector<std::unique_ptr<StringTransport>> transports_;
};

class CaseNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, Int32Case>) return "Int32";
    if (std::is_same_v<T, Int16Case>) return "Int16";
    return "Int8";
  }
};

using Cases = ::testing::Types<Int32Case, Int16Case, Int8Case>;
TYPED_TEST_SUITE(IntNTests, Cases, CaseNames);

// test_basic.py LPTestCaseMixin.test_illegal
TYPED_TEST(IntNTests, Illegal) {
  for (const std::string& s : TypeParam::illegalStrings()) {
    auto r = this->getProtocol();
    for (char c : s) r->dataReceived(std::string_view(&c, 1));
    EXPECT_TRUE(r->transport()->disconnecting());
  }
}

// test_basic.py IntNTestCaseMixin.test_receive
TYPED_TEST(IntNTests, Receive) {
  auto r = this->getProtocol();
  for (const std::string& s : this->strings_) {
    for (char c : this->makeMessage(*r, s)) r->dataReceived(std::string_view(&c, 1));
  }
  EXPECT_EQ(r->received, this->strings_);
}

// test_basic.py IntNTestCaseMixin.test_partial
TYPED_TEST(IntNTests, Partial) {
  for (const std::string& s : TypeParam::partialStrings()) {
    auto r = this->getProtocol();
    for (char c : s) r->dataReceived(std::string_view(&c, 1));
    EXPECT_TRUE(r->received.empty());
  }
}

// test_basic.py IntNTestCaseMixin.test_send
TYPED_TEST(IntNTests, Send) {
  auto r = this->getProtocol();
  r->sendString(std::string(16, 'b'));
  EXPECT_EQ(this->transportOf(*r).value(),
            this->pack(r->prefixLength(), 16) + std::string(16, 'b'));
}

// test_basic.py IntNTestCaseMixin.test_lengthLimitExceeded
TYPED_TEST(IntNTests, LengthLimitExceeded) {
  std::vector<std::uint64_t> length;
  auto r = this->getProtocol();
  r->onLimit = [&](std::uint64_t n) { length.push_back(n); };
  r->setMaxLength(10);
  r->dataReceived(this->pack(r->prefixLength(), 11));
  EXPECT_EQ(length, std::vector<std::uint64_t>{11});
}

// test_basic.py IntNTestCaseMixin.test_longStringNotDelivered
TYPED_TEST(IntNTests, LongStringNotDelivered) {
  auto r = this->getProtocol();
  r->setMaxLength(10);
  r->dataReceived(this->pack(r->prefixLength(), 11) + std::string(11, 'x'));
  EXPECT_TRUE(r->received.empty());
  EXPECT_TRUE(r->transport()->disconnecting());
}

// test_basic.py IntNTestCaseMixin.test_stringReceivedNotImplemented
TYPED_TEST(IntNTests, StringReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<IntNStringReceiver>);
  EXPECT_TRUE(std::is_abstract_v<Int32StringReceiver>);
}

// test_basic.py RecvdAttributeMixin.test_recvdContainsRemainingData
TYPED_TEST(IntNTests, RecvdContainsRemainingData) {
  std::vector<std::string> result;
  auto r = this->getProtocol();
  r->onString = [&](std::string_view) { result.emplace_back(r->recvd()); };
  std::string complete = this->pack(r->prefixLength(), 5) + std::string(5, 'a');
  std::string incomplete = this->pack(r->prefixLength(), 5) + std::string(4, 'b');
  r->dataReceived(complete + incomplete);
  EXPECT_EQ(result, std::vector<std::string>{incomplete});
}

// test_basic.py RecvdAttributeMixin.test_recvdChanged
TYPED_TEST(IntNTests, RecvdChanged) {
  auto r = this->getProtocol();
  std::vector<std::string> result;
  std::string payloadC(5, 'c');
  std::string messageC = this->makeMessage(*r, payloadC);
  r->onString = [&](std::string_view s) {
    if (result.empty()) r->setRecvd(messageC);
    result.emplace_back(s);
  };
  std::string payloadA(5, 'a'), payloadB(5, 'b');
  r->dataReceived(this->makeMessage(*r, payloadA) + this->makeMessage(*r, payloadB));
  EXPECT_EQ(result, (std::vector<std::string>{payloadA, payloadC}));
}

// test_basic.py RecvdAttributeMixin.test_switching
TYPED_TEST(IntNTests, Switching) {
  auto proto = this->getProtocol();
  const std::string kSwitch("\0\0\0\0", 4);
  std::string mix;
  for (const std::string& s : this->strings_)
    mix += this->makeMessage(*proto, s) + kSwitch;
  std::vector<std::string> result;
  proto->onString = [&](std::string_view s) {
    result.emplace_back(s);
    proto->setRecvd(std::string(proto->recvd().substr(kSwitch.size())));
  };
  proto->dataReceived(mix);
  // One more byte, to process anything left in the buffer (nothing).
  proto->dataReceived("\x01");
  EXPECT_EQ(result, this->strings_);
  EXPECT_EQ(proto->recvd(), "\x01");
}

// test_basic.py RecvdAttributeMixin.test_recvdInLengthLimitExceeded
TYPED_TEST(IntNTests, RecvdInLengthLimitExceeded) {
  auto proto = this->getProtocol();
  const std::string data = "too long";
  proto->setMaxLength(data.size() - 1);
  std::string message = this->makeMessage(*proto, data);
  std::vector<std::uint64_t> lengths;
  std::vector<std::string> recvds;
  proto->onLimit = [&](std::uint64_t length) {
    lengths.push_back(length);
    recvds.emplace_back(proto->recvd());
  };
  proto->dataReceived(message);
  EXPECT_EQ(lengths, std::vector<std::uint64_t>{data.size()});
  EXPECT_EQ(recvds, std::vector<std::string>{message});
}

// Pausing (Twisted's _PauseableMixin, shared with LineReceiver): strings
// wait while paused and arrive on resume.
TYPED_TEST(IntNTests, PauseResume) {
  auto r = this->getProtocol();
  r->onString = [&](std::string_view s) {
    r->received.emplace_back(s);
    r->pauseProducing();
  };
  r->dataReceived(this->makeMessage(*r, "one") + this->makeMessage(*r, "two"));
  EXPECT_EQ(r->received, std::vector<std::string>{"one"});
  EXPECT_EQ(this->transportOf(*r).producerState(),
            StringTransport::ProducerState::kPaused);
  r->resumeProducing();
  EXPECT_EQ(r->received, (std::vector<std::string>{"one", "two"}));
}

// A loseConnection() from stringReceived does not stop the rest of the
// chunk: Twisted 22.4's IntNStringReceiver.dataReceived never looks at
// transport.disconnecting (with a StringTransport it delivers b"quit" and
// then b"after"); only LineReceiver and LineOnlyReceiver do. A protocol
// that must ignore what follows its own close checks
// transport()->disconnecting() itself.
TYPED_TEST(IntNTests, DeliversTheRestOfTheChunkAfterLoseConnection) {
  auto r = this->getProtocol();
  r->onString = [&](std::string_view s) {
    r->received.emplace_back(s);
    if (s == "quit") r->transport()->loseConnection();
  };
  r->dataReceived(this->makeMessage(*r, "quit") + this->makeMessage(*r, "after"));
  EXPECT_EQ(r->received, (std::vector<std::string>{"quit", "after"}));
  EXPECT_TRUE(r->transport()->disconnecting());
}

// kNoMaxLength: the largest length a prefix can announce is not "too long";
// the receiver waits for its bytes. Strings above the default limit arrive.
TYPED_TEST(IntNTests, NoMaxLength) {
  auto r = this->getProtocol();
  std::vector<std::uint64_t> limits;
  r->onLimit = [&](std::uint64_t n) { limits.push_back(n); };
  r->setMaxLength(kNoMaxLength);
  const std::uint64_t largest = (std::uint64_t{1} << (8 * r->prefixLength())) - 1;
  const std::string big(static_cast<std::size_t>(std::min<std::uint64_t>(
                            largest, 3 * IntNStringReceiver::kDefaultMaxLength)),
                        's');
  r->dataReceived(this->makeMessage(*r, big));
  EXPECT_EQ(r->received, std::vector<std::string>{big});
  r->dataReceived(this->pack(r->prefixLength(), largest));
  EXPECT_TRUE(limits.empty());
  EXPECT_EQ(r->recvd(), this->pack(r->prefixLength(), largest));
  EXPECT_FALSE(r->transport()->disconnecting());
  // One below the largest announced length still refuses it.
  r->setRecvd("");
  r->setMaxLength(static_cast<std::size_t>(largest - 1));
  r->dataReceived(this->pack(r->prefixLength(), largest));
  EXPECT_EQ(limits, std::vector<std::uint64_t>{largest});
}

// --- per prefix size ---------------------------------------------------------------

// test_basic.py Int32Tests.test_data
TEST(Int32Tests, Data) {
  StringTransport t;
  auto r = std::make_shared<TestIntN<Int32StringReceiver>>();
  r->makeConnection(&t);
  r->sendString("foo");
  EXPECT_EQ(t.value(), std::string("\0\0\0\x03"
                                   "foo",
                                   7));
  r->dataReceived(
      std::string("\0\0\0\x04"
                  "ubar",
                  8));
  EXPECT_EQ(r->received, std::vector<std::string>{"ubar"});
}

// test_basic.py Int16Tests.test_data
TEST(Int16Tests, Data) {
  StringTransport t;
  auto r = std::make_shared<TestIntN<Int16StringReceiver>>();
  r->makeConnection(&t);
  r->sendString("foo");
  EXPECT_EQ(t.value(), std::string("\0\x03"
                                   "foo",
                                   5));
  r->dataReceived(
      std::string("\0\x04"
                  "ubar",
                  6));
  EXPECT_EQ(r->received, std::vector<std::string>{"ubar"});
}

// test_basic.py Int16Tests.test_tooLongSend
TEST(Int16Tests, TooLongSend) {
  StringTransport t;
  auto r = std::make_shared<TestIntN<Int16StringReceiver>>();
  r->makeConnection(&t);
  EXPECT_THROW(r->sendString(std::string((1u << 16) + 1, 'b')), StringTooLongError);
  // The largest string that fits goes out.
  r->sendString(std::string((1u << 16) - 1, 'b'));
  EXPECT_EQ(t.value().size(), 2u + (1u << 16) - 1);
}

// test_basic.py Int8Tests.test_data
TEST(Int8Tests, Data) {
  StringTransport t;
  auto r = std::make_shared<TestIntN<Int8StringReceiver>>();
  r->makeConnection(&t);
  r->sendString("foo");
  EXPECT_EQ(t.value(),
            "\x03"
            "foo");
  r->dataReceived(
      "\x04"
      "ubar");
  EXPECT_EQ(r->received, std::vector<std::string>{"ubar"});
}

// test_basic.py Int8Tests.test_tooLongSend
TEST(Int8Tests, TooLongSend) {
  StringTransport t;
  auto r = std::make_shared<TestIntN<Int8StringReceiver>>();
  r->makeConnection(&t);
  try {
    r->sendString(std::string(257, 'b'));
    FAIL() << "sendString accepted 257 bytes with a 1-byte prefix";
  } catch (const StringTooLongError& e) {
    EXPECT_NE(std::string(e.what()).find("257"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.value(), "");
}

}  // namespace
}  // namespace torsion::net
