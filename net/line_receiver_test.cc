// Tests for LineReceiver and LineOnlyReceiver: ports of Twisted's
// src/twisted/protocols/test/test_basic.py (LineReceiverTests,
// LineReceiverLineLengthExceededTests, LineOnlyReceiverTests,
// ProducerTests), which older Twisted kept in test/test_protocols.py.
// Each test names the Twisted test it mirrors.
#include "net/line_receiver.h"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "net/string_transport.h"

namespace torsion::net {
namespace {

// Stands in for Twisted's task.Clock in these tests: callLater(0, f) is
// push(f), advance(0) is run().
class Later {
 public:
  void push(std::function<void()> f) { calls_.push_back(std::move(f)); }
  void run() {
    std::vector<std::function<void()>> due;
    due.swap(calls_);
    for (auto& f : due) f();
  }

 private:
  std::vector<std::function<void()>> calls_;
};

// Twisted's LineTester: acts on some tokens (pause, rawpause, stop, len N,
// produce, unproduce) and reads raw data up to the last "len N".
class LineTester : public LineReceiver {
 public:
  explicit LineTester(Later* clock = nullptr) : clock_(clock) {
    setDelimiter("\n");
    setMaxLength(64);
  }

  void connectionMade() override { received.clear(); }

  void lineReceived(std::string_view line) override {
    received.emplace_back(line);
    if (line.empty()) {
      setRawMode();
    } else if (line == "pause") {
      pauseProducing();
      clock_->push([this] { resumeProducing(); });
    } else if (line == "rawpause") {
      pauseProducing();
      setRawMode();
      received.emplace_back();
      clock_->push([this] { resumeProducing(); });
    } else if (line == "stop") {
      stopProducing();
    } else if (line.substr(0, 4) == "len ") {
      length = std::stoul(std::string(line.substr(4)));
    } else if (line.starts_with("produce")) {
      transport()->registerProducer(this, false);
    } else if (line.starts_with("unproduce")) {
      transport()->unregisterProducer();
    }
  }

  void rawDataReceived(std::string_view data) override {
    std::string_view mine = data.substr(0, length);
    std::string_view rest = data.substr(mine.size());
    length -= mine.size();
    received.back() += mine;
    if (length == 0) setLineMode(rest);
  }

  void lineLengthExceeded(std::string_view line) override {
    if (line.size() > maxLength() + 1) setLineMode(line.substr(maxLength() + 1));
  }

  std::vector<std::string> received;
  std::size_t length = 0;

 private:
  Later* clock_;
};

// A LineReceiver with Twisted's defaults and a no-op lineReceived.
class PlainLineReceiver : public LineReceiver {
 public:
  void lineReceived(std::string_view) override {}
};

// Feeds `buffer` in chunks of `size`, as Twisted's loops do (including the
// final, possibly empty, chunk).
template <typename P>
void feed(P& protocol, std::string_view buffer, std::size_t size) {
  for (std::size_t i = 0; i < buffer.size() / size + 1; ++i) {
    std::size_t at = std::min(i * size, buffer.size());
    protocol.dataReceived(buffer.substr(at, size));
  }
}

constexpr std::string_view kBuffer =
    "len 10\n"
    "\n"
    "0123456789len 5\n"
    "\n"
    "1234\n"
    "len 20\n"
    "foo 123\n"
    "\n"
    "0123456789\n"
    "012345678len 0\n"
    "foo 5\n"
    "\n"
    "1234567890123456789012345678901234567890123456789012345678901234567890\n"
    "len 1\n"
    "\n"
    "a";

const std::vector<std::string> kOutput = {"len 10",
                                          "0123456789",
                                          "len 5",
                                          "1234\n",
                                          "len 20",
                                          "foo 123",
                                          "0123456789\n012345678",
                                          "len 0",
                                          "foo 5",
                                          "",
                                          "67890",
                                          "len 1",
                                          "a"};

// test_basic.py LineReceiverTests.test_buffer
TEST(LineReceiverTests, Buffer) {
  for (std::size_t packetSize = 1; packetSize < 10; ++packetSize) {
    StringTransport t;
    auto a = std::make_shared<LineTester>();
    a->makeConnection(&t);
    feed(*a, kBuffer, packetSize);
    EXPECT_EQ(a->received, kOutput) << "packet size " << packetSize;
  }
}

// test_basic.py LineReceiverTests.test_pausing
TEST(LineReceiverTests, Pausing) {
  const std::string_view pauseBuf = "twiddle1\ntwiddle2\npause\ntwiddle3\n";
  const std::vector<std::string> output1 = {"twiddle1", "twiddle2", "pause"};
  std::vector<std::string> output2 = output1;
  output2.push_back("twiddle3");
  for (std::size_t packetSize = 1; packetSize < 10; ++packetSize) {
    StringTransport t;
    Later clock;
    auto a = std::make_shared<LineTester>(&clock);
    a->makeConnection(&t);
    feed(*a, pauseBuf, packetSize);
    EXPECT_EQ(a->received, output1) << "packet size " << packetSize;
    EXPECT_EQ(t.producerState(), StringTransport::ProducerState::kPaused);
    clock.run();
    EXPECT_EQ(a->received, output2) << "packet size " << packetSize;
    EXPECT_EQ(t.producerState(), StringTransport::ProducerState::kProducing);
  }
}

// test_basic.py LineReceiverTests.test_rawPausing
TEST(LineReceiverTests, RawPausing) {
  const std::string_view rawpauseBuf =
      "twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n";
  const std::vector<std::string> output1 = {"twiddle1", "twiddle2", "len 5", "rawpause",
                                            ""};
  const std::vector<std::string> output2 = {"twiddle1", "twiddle2", "len 5",
                                            "rawpause", "12345",    "twiddle3"};
  for (std::size_t packetSize = 1; packetSize < 10; ++packetSize) {
    StringTransport t;
    Later clock;
    auto a = std::make_shared<LineTester>(&clock);
    a->makeConnection(&t);
    feed(*a, rawpauseBuf, packetSize);
    EXPECT_EQ(a->received, output1) << "packet size " << packetSize;
    clock.run();
    EXPECT_EQ(a->received, output2) << "packet size " << packetSize;
  }
}

// test_basic.py LineReceiverTests.test_stopProducing
TEST(LineReceiverTests, StopProducing) {
  const std::string_view stopBuf = "twiddle1\ntwiddle2\nstop\nmore\nstuff\n";
  const std::vector<std::string> output = {"twiddle1", "twiddle2", "stop"};
  for (std::size_t packetSize = 1; packetSize < 10; ++packetSize) {
    StringTransport t;
    auto a = std::make_shared<LineTester>();
    a->makeConnection(&t);
    feed(*a, stopBuf, packetSize);
    EXPECT_EQ(a->received, output) << "packet size " << packetSize;
    EXPECT_EQ(t.producerState(), StringTransport::ProducerState::kStopped);
  }
}

// test_basic.py LineReceiverTests.test_lineReceiverAsProducer
TEST(LineReceiverTests, LineReceiverAsProducer) {
  StringTransport t;
  auto a = std::make_shared<LineTester>();
  a->makeConnection(&t);
  a->dataReceived("produce\nhello world\nunproduce\ngoodbye\n");
  EXPECT_EQ(a->received,
            (std::vector<std::string>{"produce", "hello world", "unproduce", "goodbye"}));
  EXPECT_EQ(t.producer(), nullptr);
}

// test_basic.py LineReceiverTests.test_clearLineBuffer
TEST(LineReceiverTests, ClearLineBuffer) {
  class ClearingReceiver : public LineReceiver {
   public:
    void lineReceived(std::string_view l) override {
      line = l;
      rest = clearLineBuffer();
    }
    std::string line, rest;
  };
  ClearingReceiver protocol;
  protocol.dataReceived("foo\r\nbar\r\nbaz");
  EXPECT_EQ(protocol.line, "foo");
  EXPECT_EQ(protocol.rest, "bar\r\nbaz");
  // Another line: the data cleared before is really gone.
  protocol.dataReceived("quux\r\n");
  EXPECT_EQ(protocol.line, "quux");
  EXPECT_EQ(protocol.rest, "");
}

// test_basic.py LineReceiverTests.test_stackRecursion: switching modes for
// every byte of one chunk does not recurse (Twisted uses the interpreter's
// recursion limit, 1000; 5000 flips here).
TEST(LineReceiverTests, StackRecursion) {
  class FlippingLineTester : public LineReceiver {
   public:
    FlippingLineTester() { setDelimiter("\n"); }
    void lineReceived(std::string_view line) override {
      lines += line;
      setRawMode();
    }
    void rawDataReceived(std::string_view data) override { setLineMode(data.substr(1)); }
    std::string lines;
  };
  constexpr int kLimit = 5000;
  StringTransport t;
  auto proto = std::make_shared<FlippingLineTester>();
  proto->makeConnection(&t);
  std::string data;
  for (int i = 0; i < kLimit; ++i) data += "x\nx";
  proto->dataReceived(data);
  EXPECT_EQ(proto->lines, std::string(kLimit, 'x'));
}

// test_basic.py LineReceiverTests.test_maximumLineLength
TEST(LineReceiverTests, MaximumLineLength) {
  auto proto = std::make_shared<PlainLineReceiver>();
  StringTransport transport;
  proto->makeConnection(&transport);
  proto->dataReceived(std::string(proto->maxLength() + 1, 'x') + "\r\nr");
  EXPECT_TRUE(transport.disconnecting());
}

// test_basic.py LineReceiverTests.test_maximumLineLengthPartialDelimiter
TEST(LineReceiverTests, MaximumLineLengthPartialDelimiter) {
  auto proto = std::make_shared<LineTester>();
  proto->setMaxLength(4);
  StringTransport t;
  proto->makeConnection(&t);
  std::string line(proto->maxLength() - 1, 'x');
  const std::string& delimiter = proto->delimiter();
  proto->dataReceived(line);
  proto->dataReceived(delimiter.substr(0, delimiter.size() - 1));
  proto->dataReceived(delimiter.substr(delimiter.size() - 1) + line);
  EXPECT_FALSE(t.disconnecting());
  ASSERT_EQ(proto->received.size(), 1u);
  EXPECT_EQ(proto->received[0], line);
}

// test_basic.py LineReceiverTests.test_notQuiteMaximumLineLengthUnfinished
TEST(LineReceiverTests, NotQuiteMaximumLineLengthUnfinished) {
  auto proto = std::make_shared<PlainLineReceiver>();
  proto->setDelimiter("\r\n");
  StringTransport transport;
  proto->makeConnection(&transport);
  proto->dataReceived(std::string(proto->maxLength(), 'x') + "\r");
  EXPECT_FALSE(transport.disconnecting());
}

// test_basic.py LineReceiverTests.test_rawDataError. Adapted: Twisted
// returns the error from dataReceived; C++ throws it out of dataReceived,
// and the receiver keeps working afterwards.
TEST(LineReceiverTests, RawDataError) {
  class Failing : public PlainLineReceiver {
   public:
    void rawDataReceived(std::string_view) override { throw std::runtime_error("oops"); }
  };
  auto proto = std::make_shared<Failing>();
  StringTransport transport;
  proto->makeConnection(&transport);
  proto->setRawMode();
  EXPECT_THROW(proto->dataReceived("data"), std::runtime_error);
  EXPECT_THROW(proto->dataReceived("more"), std::runtime_error);  // not stuck "busy"
}

// test_basic.py LineReceiverTests.test_rawDataReceivedNotImplemented
TEST(LineReceiverTests, RawDataReceivedNotImplemented) {
  PlainLineReceiver proto;
  EXPECT_THROW(proto.rawDataReceived("foo"), NotImplementedError);
}

// test_basic.py LineReceiverTests.test_lineReceivedNotImplemented: in C++
// lineReceived is pure virtual, so forgetting it does not compile.
TEST(LineReceiverTests, LineReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<LineReceiver>);
  EXPECT_TRUE(std::is_abstract_v<LineOnlyReceiver>);
}

// Behaviour LR4: a loseConnection() from lineReceived stops delivery of the
// rest of the chunk.
TEST(LineReceiverTests, NoLinesAfterLoseConnection) {
  class Quitter : public LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "quit") transport()->loseConnection();
    }
    std::vector<std::string> lines;
  };
  auto proto = std::make_shared<Quitter>();
  StringTransport t;
  proto->makeConnection(&t);
  proto->dataReceived("a\r\nquit\r\nb\r\n");
  EXPECT_EQ(proto->lines, (std::vector<std::string>{"a", "quit"}));
  // Not delivered, but still buffered, as Twisted keeps it in _buffer.
  EXPECT_EQ(proto->clearLineBuffer(), "b\r\n");
}

// Behaviour LR7: sendLine writes the line and the delimiter in one write.
TEST(LineReceiverTests, SendLine) {
  auto proto = std::make_shared<PlainLineReceiver>();
  StringTransport t;
  proto->makeConnection(&t);
  proto->sendLine("hello");
  proto->setDelimiter("\n");
  proto->sendLine("");
  EXPECT_EQ(t.value(), "hello\r\n\n");
  EXPECT_THROW(proto->setDelimiter(""), std::invalid_argument);
  PlainLineReceiver unconnected;
  EXPECT_THROW(unconnected.sendLine("x"), std::logic_error);
}

// Behaviour LR5: dataReceived called from lineReceived only buffers; the
// bytes are delivered after the current line, in order.
TEST(LineReceiverTests, ReentrantDataReceivedBuffers) {
  class Reentrant : public LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "a") dataReceived("inner\r\n");
    }
    std::vector<std::string> lines;
  };
  Reentrant proto;
  proto.dataReceived("a\r\nb\r\n");
  EXPECT_EQ(proto.lines, (std::vector<std::string>{"a", "b", "inner"}));
}

// --- LineReceiverLineLengthExceededTests ---------------------------------------

class ExcessivelyLargeLineCatcher : public LineReceiver {
 public:
  void lineReceived(std::string_view) override {}
  void lineLengthExceeded(std::string_view data) override {
    longLines.emplace_back(data);
  }
  std::vector<std::string> longLines;
};

class LineReceiverLineLengthExceededTests : public ::testing::Test {
 protected:
  void SetUp() override {
    proto_ = std::make_shared<ExcessivelyLargeLineCatcher>();
    proto_->setMaxLength(6);
    proto_->makeConnection(&transport_);
  }
  std::string excessive() const { return std::string(proto_->maxLength() * 2 + 2, 'x'); }

  StringTransport transport_;
  std::shared_ptr<ExcessivelyLargeLineCatcher> proto_;
};

// test_basic.py LineReceiverLineLengthExceededTests.test_longUnendedLine
TEST_F(LineReceiverLineLengthExceededTests, LongUnendedLine) {
  proto_->dataReceived(excessive());
  EXPECT_EQ(proto_->longLines, std::vector<std::string>{excessive()});
}

// test_basic.py LineReceiverLineLengthExceededTests.test_longLineAfterShortLine
TEST_F(LineReceiverLineLengthExceededTests, LongLineAfterShortLine) {
  proto_->dataReceived("x" + proto_->delimiter() + excessive());
  EXPECT_EQ(proto_->longLines, std::vector<std::string>{excessive()});
}

// test_basic.py LineReceiverLineLengthExceededTests.test_longLineWithDelimiter
TEST_F(LineReceiverLineLengthExceededTests, LongLineWithDelimiter) {
  std::string data = excessive() + proto_->delimiter() + excessive();
  proto_->dataReceived(data);
  EXPECT_EQ(proto_->longLines, std::vector<std::string>{data});
}

// test_basic.py LineReceiverLineLengthExceededTests.test_multipleLongLines
TEST_F(LineReceiverLineLengthExceededTests, MultipleLongLines) {
  std::string data =
      excessive() + proto_->delimiter() + excessive() + proto_->delimiter();
  proto_->dataReceived(data);
  EXPECT_EQ(proto_->longLines, std::vector<std::string>{data});
}

// test_basic.py LineReceiverLineLengthExceededTests.test_maximumLineLength
TEST_F(LineReceiverLineLengthExceededTests, MaximumLineLength) {
  auto proto = std::make_shared<PlainLineReceiver>();
  StringTransport transport;
  proto->makeConnection(&transport);
  proto->dataReceived(std::string(proto->maxLength() + 1, 'x') + "\r\nr");
  EXPECT_TRUE(transport.disconnecting());
}

// test_basic.py LineReceiverLineLengthExceededTests.test_maximumLineLengthRemaining
TEST_F(LineReceiverLineLengthExceededTests, MaximumLineLengthRemaining) {
  auto proto = std::make_shared<PlainLineReceiver>();
  StringTransport transport;
  proto->makeConnection(&transport);
  proto->dataReceived(std::string(proto->maxLength() + proto->delimiter().size(), 'x'));
  EXPECT_TRUE(transport.disconnecting());
}

// --- limits near SIZE_MAX ----------------------------------------------------------

// Records lines and too-long reports.
template <typename Base>
class LimitRecorder : public Base {
 public:
  void lineReceived(std::string_view line) override { lines.emplace_back(line); }
  void lineLengthExceeded(std::string_view data) override {
    longLines.emplace_back(data);
  }
  std::vector<std::string> lines;
  std::vector<std::string> longLines;
};

// A limit within a delimiter's length of SIZE_MAX used to make
// maxLength() + delimiter().size() wrap to a tiny number, so every partial
// line was "too long" and a line split inside its delimiter was refused.
// Each such limit, kNoMaxLength included, must behave as "no line is too
// long".
TEST(LineReceiverLimitTests, LimitsNearSizeMaxDoNotWrap) {
  for (std::string_view delimiter : {"\n", "\r\n", "END\r\n"}) {
    for (std::size_t below = 0; below <= 5; ++below) {
      SCOPED_TRACE("delimiter size " + std::to_string(delimiter.size()) +
                   ", maxLength SIZE_MAX - " + std::to_string(below));
      auto proto = std::make_shared<LimitRecorder<LineReceiver>>();
      StringTransport t;
      proto->makeConnection(&t);
      proto->setDelimiter(delimiter);
      proto->setMaxLength(kNoMaxLength - below);
      proto->dataReceived("abc");
      proto->dataReceived(delimiter.substr(0, 1));
      proto->dataReceived(delimiter.substr(1));
      EXPECT_EQ(proto->lines, std::vector<std::string>{"abc"});
      EXPECT_TRUE(proto->longLines.empty());
      EXPECT_FALSE(t.disconnecting());
    }
  }
}

// kNoMaxLength: lines far longer than the default limit are delivered, and
// so is an unterminated one once its delimiter arrives.
TEST(LineReceiverLimitTests, NoMaxLengthDeliversLongLines) {
  auto proto = std::make_shared<LimitRecorder<LineReceiver>>();
  StringTransport t;
  proto->makeConnection(&t);
  proto->setMaxLength(kNoMaxLength);
  const std::string big(4 * LineReceiver::kDefaultMaxLength, 'l');
  proto->dataReceived(big + "\r\n" + big);
  proto->dataReceived("\r\n");
  EXPECT_EQ(proto->lines, (std::vector<std::string>{big, big}));
  EXPECT_TRUE(proto->longLines.empty());
}

// LineOnlyReceiver under the same limits (its checks never added the
// delimiter, but they must hold at SIZE_MAX as well).
TEST(LineReceiverLimitTests, LineOnlyReceiverNoMaxLength) {
  for (std::size_t below = 0; below <= 2; ++below) {
    auto proto = std::make_shared<LimitRecorder<LineOnlyReceiver>>();
    StringTransport t;
    proto->makeConnection(&t);
    proto->setMaxLength(kNoMaxLength - below);
    const std::string big(4 * LineOnlyReceiver::kDefaultMaxLength, 'l');
    proto->dataReceived(big);
    proto->dataReceived("\r");
    proto->dataReceived("\n");
    EXPECT_EQ(proto->lines, std::vector<std::string>{big});
    EXPECT_TRUE(proto->longLines.empty());
    EXPECT_FALSE(t.disconnecting());
  }
}

// --- LineOnlyReceiverTests -------------------------------------------------------

class LineOnlyTester : public LineOnlyReceiver {
 public:
  LineOnlyTester() {
    setDelimiter("\n");
    setMaxLength(64);
  }
  void connectionMade() override { received.clear(); }
  void lineReceived(std::string_view line) override { received.emplace_back(line); }
  std::vector<std::string> received;
};

// test_basic.py LineOnlyReceiverTests.test_buffer
TEST(LineOnlyReceiverTests, Buffer) {
  const std::string buffer =
      "foo\n    bleakness\n    desolation\n    plastic forks\n    ";
  StringTransport t;
  auto a = std::make_shared<LineOnlyTester>();
  a->makeConnection(&t);
  for (char c : buffer) a->dataReceived(std::string_view(&c, 1));
  EXPECT_EQ(a->received,
            (std::vector<std::string>{"foo", "    bleakness", "    desolation",
                                      "    plastic forks"}));
}

// test_basic.py LineOnlyReceiverTests.test_greaterThanMaximumLineLength
TEST(LineOnlyReceiverTests, GreaterThanMaximumLineLength) {
  auto proto = std::make_shared<LineOnlyTester>();
  StringTransport transport;
  proto->makeConnection(&transport);
  proto->dataReceived(
      std::string(proto->maxLength() + proto->delimiter().size() + 1, 'x') + "\r\nr");
  EXPECT_TRUE(transport.disconnecting());
}

// One lineLengthExceeded() per chunk, as Twisted 22.4's LineOnlyReceiver
// (dataReceived returns after reporting): the complete lines after the long
// one are dropped and the unterminated rest is not reported a second time.
TEST(LineOnlyReceiverTests, ReportsOneTooLongLinePerChunk) {
  class Exceeded : public LineOnlyTester {
   public:
    void lineLengthExceeded(std::string_view line) override {
      exceeded.emplace_back(line);
      LineOnlyTester::lineLengthExceeded(line);
    }
    std::vector<std::string> exceeded;
  };
  for (const auto& [chunk, lines] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"abcdef\nghijk", {}}, {"abcdef\nxy\nz", {}}, {"ab\nabcdef\nxy\nz", {"ab"}}}) {
    auto proto = std::make_shared<Exceeded>();
    proto->setMaxLength(3);
    StringTransport transport;
    proto->makeConnection(&transport);
    proto->dataReceived(chunk);
    EXPECT_EQ(proto->exceeded, std::vector<std::string>{"abcdef"}) << chunk;
    EXPECT_EQ(proto->received, lines) << chunk;
    EXPECT_TRUE(transport.disconnecting()) << chunk;
  }
}

// test_basic.py LineOnlyReceiverTests.test_lineReceivedNotImplemented
TEST(LineOnlyReceiverTests, LineReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<LineOnlyReceiver>);
}

// Lines after a loseConnection() in the same chunk are dropped (Twisted's
// LineOnlyReceiver.dataReceived comment).
TEST(LineOnlyReceiverTests, NoLinesAfterLoseConnection) {
  class Quitter : public LineOnlyTester {
   public:
    void lineReceived(std::string_view line) override {
      LineOnlyTester::lineReceived(line);
      if (line == "quit") transport()->loseConnection();
    }
  };
  auto proto = std::make_shared<Quitter>();
  StringTransport t;
  proto->makeConnection(&t);
  proto->dataReceived("a\nquit\nb\n");
  EXPECT_EQ(proto->received, (std::vector<std::string>{"a", "quit"}));
  proto->sendLine("bye");
  EXPECT_EQ(t.value(), "bye\n");
}

// --- ProducerTests ---------------------------------------------------------------

// Twisted's ConsumingProtocol: echoes each line, then pauses itself.
class ConsumingProtocol : public LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    transport()->write(line);
    transport()->write("|");
    pauseProducing();
  }
};

// test_basic.py ProducerTests.test_pauseResume (the transport's writes are
// recorded as "line|" so they can be told apart in one string).
TEST(ProducerTests, PauseResume) {
  using State = StringTransport::ProducerState;
  auto p = std::make_shared<ConsumingProtocol>();
  StringTransport t;
  p->makeConnection(&t);

  // A partial line: no pause, no line.
  p->dataReceived("hello, ");
  EXPECT_EQ(t.value(), "");
  EXPECT_EQ(t.producerState(), State::kProducing);
  EXPECT_FALSE(p->paused());

  // The rest of the line: echoed, then paused.
  p->dataReceived("world\r\n");
  EXPECT_EQ(t.value(), "hello, world|");
  EXPECT_EQ(t.producerState(), State::kPaused);
  EXPECT_TRUE(p->paused());

  // Resuming delivers nothing new and unpauses.
  p->resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|");
  EXPECT_EQ(t.producerState(), State::kProducing);
  EXPECT_FALSE(p->paused());

  // Two lines at once: paused after the first.
  p->dataReceived("hello\r\nworld\r\n");
  EXPECT_EQ(t.value(), "hello, world|hello|");
  EXPECT_EQ(t.producerState(), State::kPaused);
  EXPECT_TRUE(p->paused());

  // Resuming delivers the waiting line, which pauses again.
  p->resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|hello|world|");
  EXPECT_EQ(t.producerState(), State::kPaused);
  EXPECT_TRUE(p->paused());

  // A line while paused: no visible effect.
  p->dataReceived("goodbye\r\n");
  EXPECT_EQ(t.value(), "hello, world|hello|world|");
  EXPECT_TRUE(p->paused());

  p->resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|hello|world|goodbye|");
  EXPECT_TRUE(p->paused());

  p->resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|hello|world|goodbye|");
  EXPECT_EQ(t.producerState(), State::kProducing);
  EXPECT_FALSE(p->paused());
}

}  // namespace
}  // namespace torsion::net
