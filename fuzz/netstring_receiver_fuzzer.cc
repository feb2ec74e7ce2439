// Fuzz target: NetstringReceiver (net/netstring_receiver.h).
//
// Properties, for every input:
//  * The strings delivered, and whether the peer is found broken, are what a
//    reference parser of the netstring rules (http://cr.yp.to/proto/
//    netstrings.txt plus Twisted's: no leading zeros, a length over
//    maxLength, or of SIZE_MAX even under kNoMaxLength, is an error as soon
//    as its digits show it) finds in the whole stream, however the stream is
//    cut into dataReceived() calls.
//  * A parse error closes the connection and nothing else does.
//  * An exception from stringReceived leaves dataReceived at once.
//  * Round trip: strings written with sendString() come back unchanged
//    through a receiver whose maxLength is exactly the longest of them; one
//    byte less and the longest is refused, after every string before it.
//
// Input: [mode][maxLength choice][n][n chunk sizes][stream or strings].
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/fuzz_input.h"
#include "net/max_length.h"
#include "net/netstring_receiver.h"
#include "net/string_transport.h"

namespace torsion::fuzz {
namespace {

constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();

std::size_t chooseMaxLength(FuzzInput& in) {
  return pickCovered<12>(
      in.below(12),
      {0, 1, 2, 9, 10, 99, 100, net::NetstringReceiver::kDefaultMaxLength,
       std::size_t{1} << 20, kSizeMax / 10, kSizeMax - 1, net::kNoMaxLength});
}

struct Thrown {};

class Recorder : public net::NetstringReceiver {
 public:
  explicit Recorder(bool throwOnBang) : throwOnBang_(throwOnBang) {}
  void stringReceived(std::string_view s) override {
    strings.emplace_back(s);
    if (throwOnBang_ && !s.empty() && s[0] == '!') throw Thrown{};
  }
  std::vector<std::string> strings;

 private:
  bool throwOnBang_;
};

struct Observed {
  std::vector<std::string> strings;
  bool broken = false;
  bool threw = false;
  friend bool operator==(const Observed&, const Observed&) = default;
};

std::string describe(const Observed& o) {
  std::string s = "{strings:";
  for (const std::string& x : o.strings) s += " \"" + escaped(x) + "\"";
  s += o.broken ? ", broken" : "";
  s += o.threw ? ", threw" : "";
  return s + "}";
}

// Feeds the chunks as a transport would: nothing after the connection was
// closed (a real transport stops reading) or after dataReceived threw (a
// real transport drops the connection).
Observed feed(std::size_t maxLength, const std::vector<std::string_view>& chunks,
              bool throwOnBang) {
  auto receiver = std::make_shared<Recorder>(throwOnBang);
  receiver->setMaxLength(maxLength);
  net::StringTransport transport;
  receiver->makeConnection(&transport);
  Observed o;
  for (std::string_view chunk : chunks) {
    if (transport.disconnecting()) break;
    try {
      receiver->dataReceived(chunk);
    } catch (const Thrown&) {
      o.threw = true;
      break;
    }
  }
  o.strings = receiver->strings;
  o.broken = receiver->brokenPeer();
  FUZZ_CHECK(o.broken == transport.disconnecting(),
             "brokenPeer and loseConnection disagree: " + describe(o));
  FUZZ_CHECK(transport.value().empty(), "the receiver wrote something");
  return o;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The reference parser: the netstring rules over the whole stream.
Observed reference(std::string_view s, std::size_t maxLength, bool throwOnBang) {
  Observed o;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    std::uint64_t length = 0;
    while (j < s.size() && isDigit(s[j])) {
      if (j > i && s[i] == '0') {  // a digit after a leading zero
        o.broken = true;
        return o;
      }
      std::uint64_t digit = static_cast<std::uint64_t>(s[j] - '0');
      if (length > (std::numeric_limits<std::uint64_t>::max() - digit) / 10 ||
          length * 10 + digit > maxLength) {
        o.broken = true;  // too long, known before the colon
        return o;
      }
      length = length * 10 + digit;
      if (length == kSizeMax) {  // its ',' could not be counted: refused
        o.broken = true;
        return o;
      }
      ++j;
    }
    if (j == i) {  // no length at all
      o.broken = true;
      return o;
    }
    if (j == s.size()) return o;  // the colon is still to come
    if (s[j] != ':') {
      o.broken = true;
      return o;
    }
    std::size_t available = s.size() - (j + 1);
    if (available <= length) return o;  // payload or comma still to come
    if (s[j + 1 + length] != ',') {
      o.broken = true;
      return o;
    }
    o.strings.emplace_back(s.substr(j + 1, length));
    i = j + 2 + length;
    if (throwOnBang && !o.strings.back().empty() && o.strings.back()[0] == '!') {
      o.threw = true;
      return o;
    }
  }
  return o;
}

void checkStream(std::size_t maxLength, std::string_view sizes, std::string_view stream) {
  Observed expected = reference(stream, maxLength, true);
  Observed whole = feed(maxLength, {stream}, true);
  FUZZ_CHECK(whole == expected, "maxLength " + std::to_string(maxLength) + ", stream \"" +
                                    escaped(stream) + "\" in one chunk: got " +
                                    describe(whole) + ", expected " + describe(expected));
  Observed chunked = feed(maxLength, chunksOf(stream, sizes), true);
  FUZZ_CHECK(chunked == expected, "maxLength " + std::to_string(maxLength) +
                                      ", stream \"" + escaped(stream) +
                                      "\" in chunks: got " + describe(chunked) +
                                      ", expected " + describe(expected));
}

// Strings separated by 0xff in `text`, written with sendString and read
// back.
void checkRoundTrip(std::string_view sizes, std::string_view text) {
  std::vector<std::string> strings = splitAt0xff(text);

  auto writer = std::make_shared<Recorder>(false);
  net::StringTransport out;
  writer->makeConnection(&out);
  std::string expectedWire;
  std::size_t longest = 0;
  for (const std::string& s : strings) {
    writer->sendString(s);
    expectedWire += std::to_string(s.size()) + ":" + s + ",";
    longest = std::max(longest, s.size());
  }
  FUZZ_CHECK(out.value() == expectedWire,
             "sendString wrote \"" + escaped(out.value()) + "\"");

  Observed exact = feed(longest, chunksOf(out.value(), sizes), false);
  FUZZ_CHECK(
      !exact.broken && exact.strings == strings,
      "round trip with maxLength " + std::to_string(longest) + ": " + describe(exact));
  if (longest == 0) return;
  Observed tight = feed(longest - 1, chunksOf(out.value(), sizes), false);
  std::size_t firstLong = 0;
  while (strings[firstLong].size() < longest) ++firstLong;
  std::vector<std::string> before(strings.begin(), strings.begin() + firstLong);
  FUZZ_CHECK(tight.broken && tight.strings == before,
             "maxLength " + std::to_string(longest - 1) + " must refuse string " +
                 std::to_string(firstLong) + ": " + describe(tight));
}

}  // namespace
}  // namespace torsion::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace torsion::fuzz;
  FuzzInput in(data, size);
  bool roundTrip = in.byte() % 4 == 0;
  std::size_t maxLength = chooseMaxLength(in);
  std::string_view sizes = in.take(in.below(8));
  if (roundTrip) {
    checkRoundTrip(sizes, in.rest());
  } else {
    checkStream(maxLength, sizes, in.rest());
  }
  return 0;
}
