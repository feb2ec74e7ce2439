// Fuzz target: Int32StringReceiver, Int16StringReceiver and
// Int8StringReceiver (IntNStringReceiver, net/int_string_receiver.h).
//
// Properties, for every input:
//  * Fed whole or in chunks, the receiver delivers what a reference model
//    of Twisted's IntNStringReceiver finds: the same strings, the same
//    lengthLimitExceeded verdict (and length) at the same point, and recvd()
//    holds the same unparsed bytes at the end. A string acts on the
//    receiver by its first byte:
//      P  pauseProducing(); the harness resumes after each chunk
//      S  stopProducing(): nothing more is delivered
//      M  setMaxLength(limit number <next byte>)
//      X  stringReceived throws (the transport would drop the connection)
//      L  transport()->loseConnection(): the strings already received
//         are still delivered, as in Twisted (docs/protocols.md); the
//         harness, like a socket transport, reads nothing more
//  * Round trip: sendString() writes the big-endian prefix and the bytes,
//    refuses exactly the strings the prefix cannot express
//    (StringTooLongError), and what it wrote reads back unchanged through a
//    receiver whose maxLength is exactly the longest string; one byte less
//    and the longest is refused, after every string before it.
//
// Input: [prefix][maxLength][mode][n][n chunk sizes][stream or strings].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/receiver_feed.h"
#include "net/int_string_receiver.h"
#include "net/string_transport.h"

namespace torsion::fuzz {
namespace {

constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();

std::size_t prefixChoice(std::size_t choice) { return pickCovered<3>(choice, {1, 2, 4}); }

std::size_t limitChoice(std::size_t choice) {
  return pickCovered<12>(choice, {0, 1, 3, 255, 256, 65535, 65536,
                                  net::IntNStringReceiver::kDefaultMaxLength, 0xffffffffu,
                                  std::size_t{1} << 32, kSizeMax - 1, kSizeMax});
}

struct Thrown {};

enum class Kind { kString, kTooLong };

struct Event {
  Kind kind;
  std::string bytes;  // the string, or the announced length in decimal
  friend bool operator==(const Event&, const Event&) = default;
};

struct Observed {
  std::vector<Event> events;
  bool threw = false;
  bool closed = false;
  std::string recvd;  // unparsed bytes at the end
  friend bool operator==(const Observed&, const Observed&) = default;
};

std::string describe(const Observed& o) {
  std::string s = "{";
  for (const Event& e : o.events) {
    s += e.kind == Kind::kString ? " string:\"" + escaped(e.bytes) + "\""
                                 : " tooLong:" + e.bytes;
  }
  if (o.threw) s += " threw";
  if (o.closed) s += " closed";
  return s + " recvd:\"" + escaped(o.recvd) + "\" }";
}

class Tester : public net::IntNStringReceiver {
 public:
  Tester(std::size_t prefixLength, bool act)
      : IntNStringReceiver(prefixLength), act_(act) {}
  Observed observed;
  bool stopped = false;

  void stringReceived(std::string_view s) override {
    observed.events.push_back({Kind::kString, std::string(s)});
    if (!act_ || s.empty()) return;
    switch (s[0]) {
      case 'P':
        pauseProducing();
        break;
      case 'S':
        stopped = true;
        stopProducing();
        break;
      case 'M':
        setMaxLength(limitChoice(s.size() > 1 ? static_cast<unsigned char>(s[1]) : 0));
        break;
      case 'X':
        throw Thrown{};
      case 'L':
        transport()->loseConnection();
        break;
    }
  }

  void lengthLimitExceeded(std::uint64_t length) override {
    observed.events.push_back({Kind::kTooLong, std::to_string(length)});
    IntNStringReceiver::lengthLimitExceeded(length);
  }

 private:
  bool act_;
};

Observed feed(std::size_t prefixLength, std::size_t maxLength, bool act,
              const std::vector<std::string_view>& chunks) {
  auto tester = std::make_shared<Tester>(prefixLength, act);
  tester->setMaxLength(maxLength);
  feedConnected<Thrown>(*tester, chunks,
                        [&](Observed& o) { o.recvd = std::string(tester->recvd()); });
  return std::move(tester->observed);
}

// Twisted's IntNStringReceiver, with the actions, fed the chunks the way
// the harness feeds them: strings are parsed from everything received so
// far; a loseConnection() from stringReceived lets the strings already
// received through (Twisted 22.4 does) and no chunk is read after it; a
// pause is undone after the chunk (so it delays nothing) unless the
// connection is closing.
Observed model(std::size_t prefixLength, std::size_t maxLength,
               const std::vector<std::string_view>& chunks) {
  Observed o;
  std::string s;
  std::size_t pos = 0;
  bool stopped = false;
  for (std::string_view chunk : chunks) {
    if (o.closed) break;
    s += chunk;
    while (!stopped && s.size() - pos >= prefixLength) {
      std::uint64_t length = 0;
      for (std::size_t i = 0; i < prefixLength; ++i) {
        length = length << 8 | static_cast<unsigned char>(s[pos + i]);
      }
      if (length > maxLength) {
        o.events.push_back({Kind::kTooLong, std::to_string(length)});
        o.closed = true;
        return o;
      }
      if (s.size() - pos - prefixLength < length) break;
      std::string str = s.substr(pos + prefixLength, length);
      pos += prefixLength + length;
      o.events.push_back({Kind::kString, str});
      if (str.empty()) continue;
      if (str[0] == 'S') stopped = true;
      if (str[0] == 'M') {
        maxLength = limitChoice(str.size() > 1 ? static_cast<unsigned char>(str[1]) : 0);
      }
      if (str[0] == 'X') {
        o.threw = true;
        return o;
      }
      if (str[0] == 'L') o.closed = true;
      if (str[0] == 'P' && o.closed) return o;  // paused for good
    }
  }
  if (!o.closed) o.recvd = s.substr(pos);
  return o;
}

void checkStream(std::size_t prefixLength, std::size_t maxLength, std::string_view sizes,
                 std::string_view stream) {
  std::vector<std::string_view> chunks = chunksOf(stream, sizes);
  std::string setup = "Int" + std::to_string(8 * prefixLength) +
                      "StringReceiver, maxLength " + std::to_string(maxLength) +
                      ", stream \"" + escaped(stream) + "\"";
  Observed expected = model(prefixLength, maxLength, {stream});
  Observed whole = feed(prefixLength, maxLength, true, {stream});
  FUZZ_CHECK(whole == expected, setup + " in one chunk:\n got      " + describe(whole) +
                                    "\n expected " + describe(expected));
  expected = model(prefixLength, maxLength, chunks);
  Observed chunked = feed(prefixLength, maxLength, true, chunks);
  FUZZ_CHECK(chunked == expected, setup + " in chunks:\n got      " + describe(chunked) +
                                      "\n expected " + describe(expected));
}

std::string prefixOf(std::size_t prefixLength, std::size_t length) {
  std::string prefix(prefixLength, '\0');
  for (std::size_t i = 0; i < prefixLength; ++i) {
    prefix[prefixLength - 1 - i] = static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return prefix;
}

// Strings separated by 0xff in `text`, each repeated `repeat` times (so
// Int8 meets strings it cannot frame), written with sendString, read back.
void checkRoundTrip(std::size_t prefixLength, std::size_t repeat, std::string_view sizes,
                    std::string_view text) {
  std::vector<std::string> strings = splitAt0xff(text);
  for (std::string& s : strings) {
    std::string once = s;
    for (std::size_t i = 1; i < repeat; ++i) s += once;
  }

  auto writer = std::make_shared<Tester>(prefixLength, false);
  net::StringTransport out;
  writer->makeConnection(&out);
  const std::uint64_t limit = std::uint64_t{1} << (8 * prefixLength);
  std::vector<std::string> sent;
  std::string expectedWire;
  for (const std::string& s : strings) {
    bool fits = s.size() < limit;
    bool refused = false;
    try {
      writer->sendString(s);
    } catch (const net::StringTooLongError&) {
      refused = true;
    }
    FUZZ_CHECK(refused != fits, "sendString of " + std::to_string(s.size()) +
                                    " bytes with a " + std::to_string(prefixLength) +
                                    "-byte prefix: refused=" + std::to_string(refused));
    if (fits) {
      sent.push_back(s);
      expectedWire += prefixOf(prefixLength, s.size()) + s;
    }
  }
  FUZZ_CHECK(out.value() == expectedWire,
             "sendString wrote \"" + escaped(out.value()) + "\"");
  if (sent.empty()) return;
  std::size_t longest = 0;
  for (const std::string& s : sent) longest = std::max(longest, s.size());

  Observed exact = feed(prefixLength, longest, false, chunksOf(out.value(), sizes));
  std::vector<Event> all;
  for (const std::string& s : sent) all.push_back({Kind::kString, s});
  FUZZ_CHECK(
      !exact.closed && exact.events == all && exact.recvd.empty(),
      "round trip with maxLength " + std::to_string(longest) + ": " + describe(exact));
  if (longest == 0) return;
  Observed tight = feed(prefixLength, longest - 1, false, chunksOf(out.value(), sizes));
  std::vector<Event> before;
  for (const std::string& s : sent) {
    if (s.size() == longest) break;
    before.push_back({Kind::kString, s});
  }
  before.push_back({Kind::kTooLong, std::to_string(longest)});
  FUZZ_CHECK(tight.closed && tight.events == before,
             "maxLength " + std::to_string(longest - 1) +
                 " must refuse the first string of " + std::to_string(longest) +
                 " bytes: " + describe(tight));
}

}  // namespace
}  // namespace torsion::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace torsion::fuzz;
  FuzzInput in(data, size);
  std::size_t prefixLength = prefixChoice(in.byte());
  std::size_t maxLength = limitChoice(in.byte());
  std::uint8_t mode = in.byte();
  std::string_view sizes = in.take(in.below(8));
  if (mode % 4 == 0) {
    checkRoundTrip(prefixLength, 1 + mode / 4 % 64, sizes, in.rest());
  } else {
    checkStream(prefixLength, maxLength, sizes, in.rest());
  }
  return 0;
}
