// Tests for NetstringReceiver: ports of Twisted's
// src/twisted/protocols/test/test_basic.py NetstringReceiverTests (older
// Twisted: test/test_protocols.py). Each test names the Twisted test it
// mirrors.
#include "net/netstring_receiver.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "net/string_transport.h"

namespace torsion::net {
namespace {

// Twisted's TestNetstring (with TestMixin): records strings, echoes them,
// MAX_LENGTH 50.
class TestNetstring : public NetstringReceiver {
 public:
  TestNetstring() { setMaxLength(50); }
  void connectionMade() override { received.clear(); }
  void stringReceived(std::string_view s) override {
    received.emplace_back(s);
    transport()->write(s);
  }
  std::vector<std::string> received;
};

class NetstringReceiverTests : public ::testing::Test {
 protected:
  void SetUp() override {
    netstringReceiver_ = std::make_shared<TestNetstring>();
    netstringReceiver_->makeConnection(&transport_);
  }
  StringTransport transport_;
  std::shared_ptr<TestNetstring> netstringReceiver_;
};

// test_basic.py LPTestCaseMixin.test_illegal (with NetstringReceiverTests'
// illegalStrings)
TEST_F(NetstringReceiverTests, Illegal) {
  const std::vector<std::string> illegalStrings = {
      "9999999999999999999999", "abc", "4:abcde",
      "51:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab,"};
  for (const std::string& s : illegalStrings) {
    StringTransport t;
    auto r = std::make_shared<TestNetstring>();
    r->makeConnection(&t);
    for (char c : s) r->dataReceived(std::string_view(&c, 1));
    EXPECT_TRUE(t.disconnecting()) << s;
    EXPECT_TRUE(r->brokenPeer()) << s;
  }
}

// test_basic.py NetstringReceiverTests.test_buffer
TEST_F(NetstringReceiverTests, Buffer) {
  const std::vector<std::string> strings = {
      "hello", "world", "how", "are", "you123", ":today", std::string(515, 'a')};
  for (std::size_t packetSize = 1; packetSize < 10; ++packetSize) {
    StringTransport t;
    auto a = std::make_shared<TestNetstring>();
    a->setMaxLength(699);
    a->makeConnection(&t);
    for (const std::string& s : strings) a->sendString(s);
    std::string out = t.value();
    for (std::size_t i = 0; i < out.size() / packetSize + 1; ++i) {
      std::string_view chunk =
          std::string_view(out).substr(std::min(i * packetSize, out.size()), packetSize);
      if (!chunk.empty()) a->dataReceived(chunk);
    }
    EXPECT_EQ(a->received, strings) << "packet size " << packetSize;
  }
}

// test_basic.py NetstringReceiverTests.test_receiveEmptyNetstring
TEST_F(NetstringReceiverTests, ReceiveEmptyNetstring) {
  netstringReceiver_->dataReceived("0:,");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{""});
}

// test_basic.py NetstringReceiverTests.test_receiveOneCharacter
TEST_F(NetstringReceiverTests, ReceiveOneCharacter) {
  netstringReceiver_->dataReceived("1:a,");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"a"});
}

// test_basic.py NetstringReceiverTests.test_receiveTwoCharacters
TEST_F(NetstringReceiverTests, ReceiveTwoCharacters) {
  netstringReceiver_->dataReceived("2:ab,");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"ab"});
}

// test_basic.py NetstringReceiverTests.test_receiveNestedNetstring
TEST_F(NetstringReceiverTests, ReceiveNestedNetstring) {
  netstringReceiver_->dataReceived("4:1:a,,");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"1:a,"});
}

// test_basic.py NetstringReceiverTests.test_moreDataThanSpecified
TEST_F(NetstringReceiverTests, MoreDataThanSpecified) {
  netstringReceiver_->dataReceived("2:aaa,");
  EXPECT_TRUE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_moreDataThanSpecifiedBorderCase
TEST_F(NetstringReceiverTests, MoreDataThanSpecifiedBorderCase) {
  netstringReceiver_->dataReceived("0:a,");
  EXPECT_TRUE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_missingNumber
TEST_F(NetstringReceiverTests, MissingNumber) {
  netstringReceiver_->dataReceived(":aaa,");
  EXPECT_TRUE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_missingColon
TEST_F(NetstringReceiverTests, MissingColon) {
  netstringReceiver_->dataReceived("3aaa,");
  EXPECT_TRUE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_missingNumberAndColon
TEST_F(NetstringReceiverTests, MissingNumberAndColon) {
  netstringReceiver_->dataReceived("aaa,");
  EXPECT_TRUE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_onlyData
TEST_F(NetstringReceiverTests, OnlyData) {
  netstringReceiver_->dataReceived("aaa");
  EXPECT_TRUE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_receiveNetstringPortions_1
TEST_F(NetstringReceiverTests, ReceiveNetstringPortions_1) {
  netstringReceiver_->dataReceived("4:aa");
  netstringReceiver_->dataReceived("aa,");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"aaaa"});
}

// test_basic.py NetstringReceiverTests.test_receiveNetstringPortions_2
TEST_F(NetstringReceiverTests, ReceiveNetstringPortions_2) {
  for (std::string_view part : {"1", "0:01234", "56789", ","}) {
    netstringReceiver_->dataReceived(part);
  }
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"0123456789"});
}

// test_basic.py NetstringReceiverTests.test_receiveNetstringPortions_3
TEST_F(NetstringReceiverTests, ReceiveNetstringPortions_3) {
  for (std::string_view part : {"2", ":", "a", "b", ","})
    netstringReceiver_->dataReceived(part);
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"ab"});
}

// test_basic.py NetstringReceiverTests.test_receiveTwoNetstrings
TEST_F(NetstringReceiverTests, ReceiveTwoNetstrings) {
  netstringReceiver_->dataReceived("1:a,1");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"a"});
  netstringReceiver_->dataReceived(":b,");
  EXPECT_EQ(netstringReceiver_->received, (std::vector<std::string>{"a", "b"}));
}

// test_basic.py NetstringReceiverTests.test_maxReceiveLimit
TEST_F(NetstringReceiverTests, MaxReceiveLimit) {
  std::size_t tooLong = netstringReceiver_->maxLength() + 1;
  netstringReceiver_->dataReceived(std::to_string(tooLong) + ":" +
                                   std::string(tooLong, 'a'));
  EXPECT_TRUE(transport_.disconnecting());
  EXPECT_TRUE(netstringReceiver_->received.empty());
}

// test_basic.py NetstringReceiverTests.test_consumeLength
TEST_F(NetstringReceiverTests, ConsumeLength) {
  std::optional<NetstringLength> length = consumeNetstringLength("12:", 99999);
  ASSERT_TRUE(length.has_value());
  EXPECT_EQ(length->expectedPayloadSize, 13u);
  EXPECT_EQ(length->consumed, 3u);
}

// test_basic.py NetstringReceiverTests.test_consumeLengthBorderCase1
TEST_F(NetstringReceiverTests, ConsumeLengthBorderCase1) {
  std::optional<NetstringLength> length = consumeNetstringLength("12:", 12);
  ASSERT_TRUE(length.has_value());
  EXPECT_EQ(length->expectedPayloadSize, 13u);
}

// test_basic.py NetstringReceiverTests.test_consumeLengthBorderCase2
TEST_F(NetstringReceiverTests, ConsumeLengthBorderCase2) {
  EXPECT_THROW(consumeNetstringLength("12:", 11), NetstringParseError);
}

// test_basic.py NetstringReceiverTests.test_consumeLengthBorderCase3
TEST_F(NetstringReceiverTests, ConsumeLengthBorderCase3) {
  EXPECT_THROW(consumeNetstringLength("1000:", 11), NetstringParseError);
}

// The length rules beyond Twisted's tests: incomplete is not an error,
// leading zeros and absurd digit counts are.
TEST_F(NetstringReceiverTests, ConsumeLengthEdgeCases) {
  EXPECT_FALSE(consumeNetstringLength("", 10).has_value());
  EXPECT_FALSE(consumeNetstringLength("1", 10).has_value());
  EXPECT_THROW(consumeNetstringLength("01:", 10), NetstringParseError);
  EXPECT_THROW(consumeNetstringLength("00", 10), NetstringParseError);
  EXPECT_THROW(consumeNetstringLength(std::string(40, '9'), SIZE_MAX),
               NetstringParseError);
  try {
    consumeNetstringLength("x:", 10);
    FAIL();
  } catch (const NetstringParseError& e) {
    EXPECT_NE(std::string(e.what()).find("length"), std::string::npos) << e.what();
  }
}

// As IntNStringReceiver (and Twisted 22.4's NetstringReceiver, whose
// dataReceived loops while data remains): a loseConnection() from
// stringReceived does not stop the rest of the chunk.
TEST_F(NetstringReceiverTests, DeliversTheRestOfTheChunkAfterLoseConnection) {
  class Quitter : public NetstringReceiver {
   public:
    void stringReceived(std::string_view s) override {
      received.emplace_back(s);
      if (s == "quit") transport()->loseConnection();
    }
    std::vector<std::string> received;
  };
  auto r = std::make_shared<Quitter>();
  StringTransport t;
  r->makeConnection(&t);
  r->dataReceived("4:quit,5:after,");
  EXPECT_EQ(r->received, (std::vector<std::string>{"quit", "after"}));
  EXPECT_TRUE(t.disconnecting());
  EXPECT_FALSE(r->brokenPeer());
}

// kNoMaxLength (SIZE_MAX) accepts every length whose payload and trailing
// ',' can be counted in a size_t. SIZE_MAX itself cannot (the payload plus
// its comma is SIZE_MAX + 1): it used to wrap to an expected size of 0.
TEST_F(NetstringReceiverTests, ConsumeLengthWithoutLimit) {
  EXPECT_THROW(consumeNetstringLength(std::to_string(SIZE_MAX) + ":", kNoMaxLength),
               NetstringParseError);
  std::optional<NetstringLength> largest =
      consumeNetstringLength(std::to_string(SIZE_MAX - 1) + ":", kNoMaxLength);
  ASSERT_TRUE(largest.has_value());
  EXPECT_EQ(largest->expectedPayloadSize, SIZE_MAX);
}

// The receiver side of the same: the uncountable length is a parse error
// (the connection closes) instead of an empty payload whose last byte is
// read anyway.
TEST_F(NetstringReceiverTests, NoMaxLengthRefusesAnUncountableLength) {
  netstringReceiver_->setMaxLength(kNoMaxLength);
  netstringReceiver_->dataReceived(std::to_string(SIZE_MAX) + ":,");
  EXPECT_TRUE(netstringReceiver_->brokenPeer());
  EXPECT_TRUE(transport_.disconnecting());
  EXPECT_TRUE(netstringReceiver_->received.empty());
}

// Without a limit, a string far above the default maximum is delivered.
TEST_F(NetstringReceiverTests, NoMaxLengthDeliversLongStrings) {
  netstringReceiver_->setMaxLength(kNoMaxLength);
  const std::string big(3 * NetstringReceiver::kDefaultMaxLength, 'n');
  netstringReceiver_->dataReceived(std::to_string(big.size()) + ":" + big + ",");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{big});
  EXPECT_FALSE(transport_.disconnecting());
}

// test_basic.py NetstringReceiverTests.test_stringReceivedNotImplemented
TEST_F(NetstringReceiverTests, StringReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<NetstringReceiver>);
}

// sendString frames the payload ("3:foo,") in one write.
TEST_F(NetstringReceiverTests, SendString) {
  netstringReceiver_->sendString("foo");
  netstringReceiver_->sendString("");
  EXPECT_EQ(transport_.value(), "3:foo,0:,");
}

// Once broken, later bytes are ignored: nothing after the bad netstring is
// delivered.
TEST_F(NetstringReceiverTests, NothingAfterParseError) {
  netstringReceiver_->dataReceived("1:a,x1:b,");
  netstringReceiver_->dataReceived("1:c,");
  EXPECT_EQ(netstringReceiver_->received, std::vector<std::string>{"a"});
  EXPECT_TRUE(netstringReceiver_->brokenPeer());
}

}  // namespace
}  // namespace torsion::net
