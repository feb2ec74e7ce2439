// Fuzz target: LineReceiver and LineOnlyReceiver (net/line_receiver.h).
//
// LineReceiver. The stream is fed whole and in chunks; both must match a
// reference model that runs Twisted's LineReceiver rules over the whole
// stream: the same lines, the same raw bytes, the same line-too-long
// verdict at the same point, and the same bytes left buffered. (The bytes
// handed to lineLengthExceeded depend on where a chunk ended, as in
// Twisted, so only the verdict is compared for chunked feeding.) Lines act
// on the receiver, so mode and limit switches happen mid-stream:
//   R<n>  setRawMode(); rawDataReceived takes n bytes, then setLineMode()
//         with what followed them (Twisted's LineTester pattern)
//   P     pauseProducing(); the harness resumes after each chunk
//   M<d>  setMaxLength(limit number d);   D<d> setDelimiter(delimiter d)
//   S     stopProducing(): nothing more is delivered
//   X     lineReceived throws (the transport would drop the connection)
//
// LineOnlyReceiver. Twisted's LineOnlyReceiver rules depend on chunking
// (a partial line is measured with any partial delimiter), so the model
// runs them chunk by chunk; lines act with X and M<d> only.
//
// Input: [receiver][delimiter][maxLength][n][n chunk sizes][stream].
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
#include "net/line_receiver.h"
#include "net/max_length.h"
#include "net/string_transport.h"

namespace torsion::fuzz {
namespace {

constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();

std::size_t limitChoice(std::size_t choice) {
  return pickCovered<12>(choice,
                         {0, 1, 2, 3, 5, 8, 16, 64, net::LineReceiver::kDefaultMaxLength,
                          kSizeMax - 100, kSizeMax - 1, net::kNoMaxLength});
}

std::string delimiterChoice(std::size_t choice) {
  switch (choice % 8) {
    case 0:
      return "\r\n";
    case 1:
      return "\n";
    case 2:
      return "\r";
    case 3:
      return "ab";
    case 4:
      return std::string(1, '\0');
    case 5:
      return "\r\n\r\n";
    case 6:
      return "aab";
    default:
      return "xyzzy";
  }
}

struct Thrown {};

enum class Kind { kLine, kRaw, kTooLong };

struct Event {
  Kind kind;
  std::string bytes;
  friend bool operator==(const Event&, const Event&) = default;
};

struct Observed {
  std::vector<Event> events;
  bool threw = false;
  bool closed = false;       // loseConnection() was called
  std::string leftBuffered;  // what clearLineBuffer() returned at the end
  friend bool operator==(const Observed&, const Observed&) = default;
};

void record(Observed& o, Kind kind, std::string_view bytes) {
  // Raw bytes are compared as a stream: how they were split does not matter.
  if (kind == Kind::kRaw) {
    if (bytes.empty()) return;
    if (!o.events.empty() && o.events.back().kind == Kind::kRaw) {
      o.events.back().bytes += bytes;
      return;
    }
  }
  o.events.push_back({kind, std::string(bytes)});
}

std::string describe(const Observed& o) {
  std::string s = "{";
  for (const Event& e : o.events) {
    s += e.kind == Kind::kLine  ? " line:\""
         : e.kind == Kind::kRaw ? " raw:\""
                                : " tooLong:\"";
    s += escaped(e.bytes) + "\"";
  }
  if (o.threw) s += " threw";
  if (o.closed) s += " closed";
  return s + " left:\"" + escaped(o.leftBuffered) + "\" }";
}

// The number after a command letter: up to three digits, 0 if none.
std::size_t argumentOf(std::string_view line) {
  std::size_t n = 0;
  for (std::size_t i = 1; i < line.size() && i < 4; ++i) {
    if (line[i] < '0' || line[i] > '9') break;
    n = n * 10 + static_cast<std::size_t>(line[i] - '0');
  }
  return n;
}

// --- LineReceiver -----------------------------------------------------------

class Tester : public net::LineReceiver {
 public:
  Observed observed;
  bool stopped = false;

  void lineReceived(std::string_view line) override {
    record(observed, Kind::kLine, line);
    if (line.empty()) return;
    switch (line[0]) {
      case 'R':
        rawLeft_ = argumentOf(line);
        setRawMode();
        break;
      case 'P':
        pauseProducing();
        break;
      case 'M':
        setMaxLength(limitChoice(argumentOf(line)));
        break;
      case 'D':
        setDelimiter(delimiterChoice(argumentOf(line)));
        break;
      case 'S':
        stopped = true;
        stopProducing();
        break;
      case 'X':
        throw Thrown{};
    }
  }

  void rawDataReceived(std::string_view data) override {
    std::size_t mine = std::min(rawLeft_, data.size());
    record(observed, Kind::kRaw, data.substr(0, mine));
    rawLeft_ -= mine;
    if (rawLeft_ == 0) setLineMode(data.substr(mine));
  }

  void lineLengthExceeded(std::string_view line) override {
    record(observed, Kind::kTooLong, line);
    LineReceiver::lineLengthExceeded(line);
  }

 private:
  std::size_t rawLeft_ = 0;
};

// Feeds the chunks as a transport would: nothing after loseConnection() or
// an exception; a paused receiver is resumed after each chunk (a consumer
// catching up), unless it was stopped.
Observed feedLineReceiver(const std::string& delim, std::size_t maxLength,
                          const std::vector<std::string_view>& chunks) {
  auto tester = std::make_shared<Tester>();
  tester->setDelimiter(delim);
  tester->setMaxLength(maxLength);
  feedConnected<Thrown>(*tester, chunks,
                        [&](Observed& o) { o.leftBuffered = tester->clearLineBuffer(); });
  return std::move(tester->observed);
}

// True if `size` bytes without a delimiter cannot become a line of at most
// maxLength: size >= maxLength + delimiterSize, without overflow.
bool tooLongUnterminated(std::size_t size, std::size_t maxLength,
                         std::size_t delimiterSize) {
  return size >= delimiterSize && size - delimiterSize >= maxLength;
}

// Twisted's LineReceiver over the whole stream, with the Tester's actions.
Observed modelLineReceiver(std::string delim, std::size_t maxLength, std::string_view s) {
  Observed o;
  std::size_t pos = 0;
  bool lineMode = true;
  std::size_t rawLeft = 0;
  while (pos < s.size()) {
    if (!lineMode) {
      std::size_t mine = std::min(rawLeft, s.size() - pos);
      record(o, Kind::kRaw, s.substr(pos, mine));
      pos += mine;
      rawLeft -= mine;
      if (rawLeft == 0) lineMode = true;
      continue;
    }
    std::size_t at = s.find(delim, pos);
    if (at == std::string_view::npos) {
      if (!tooLongUnterminated(s.size() - pos, maxLength, delim.size())) break;
      record(o, Kind::kTooLong, s.substr(pos));
      o.closed = true;
      return o;
    }
    if (at - pos > maxLength) {
      record(o, Kind::kTooLong, s.substr(pos));
      o.closed = true;
      return o;
    }
    std::string_view line = s.substr(pos, at - pos);
    pos = at + delim.size();
    record(o, Kind::kLine, line);
    if (line.empty()) continue;
    if (line[0] == 'R') {
      rawLeft = argumentOf(line);
      lineMode = false;
    } else if (line[0] == 'M') {
      maxLength = limitChoice(argumentOf(line));
    } else if (line[0] == 'D') {
      delim = delimiterChoice(argumentOf(line));
    } else if (line[0] == 'S') {
      break;
    } else if (line[0] == 'X') {
      o.threw = true;
      return o;
    }
  }
  o.leftBuffered = std::string(s.substr(pos));
  return o;
}

// The verdict without the bytes handed to lineLengthExceeded, which depend
// on where a chunk ended.
Observed withoutTooLongBytes(Observed o) {
  for (Event& e : o.events) {
    if (e.kind == Kind::kTooLong) e.bytes.clear();
  }
  return o;
}

void checkLineReceiver(const std::string& delim, std::size_t maxLength,
                       std::string_view sizes, std::string_view stream) {
  Observed expected = modelLineReceiver(delim, maxLength, stream);
  std::string setup = "delimiter \"" + escaped(delim) + "\", maxLength " +
                      std::to_string(maxLength) + ", stream \"" + escaped(stream) + "\"";
  Observed whole = feedLineReceiver(delim, maxLength, {stream});
  FUZZ_CHECK(whole == expected, setup + " in one chunk:\n got      " + describe(whole) +
                                    "\n expected " + describe(expected));
  Observed chunked = feedLineReceiver(delim, maxLength, chunksOf(stream, sizes));
  FUZZ_CHECK(withoutTooLongBytes(chunked) == withoutTooLongBytes(expected),
             setup + " in chunks:\n got      " + describe(chunked) + "\n expected " +
                 describe(expected));
}

// --- LineOnlyReceiver ---------------------------------------------------------

class OnlyTester : public net::LineOnlyReceiver {
 public:
  Observed observed;

  void lineReceived(std::string_view line) override {
    record(observed, Kind::kLine, line);
    if (line.empty()) return;
    if (line[0] == 'M') setMaxLength(limitChoice(argumentOf(line)));
    if (line[0] == 'X') throw Thrown{};
  }

  void lineLengthExceeded(std::string_view line) override {
    record(observed, Kind::kTooLong, line);
    LineOnlyReceiver::lineLengthExceeded(line);
  }
};

Observed feedLineOnly(const std::string& delim, std::size_t maxLength,
                      const std::vector<std::string_view>& chunks) {
  auto tester = std::make_shared<OnlyTester>();
  tester->setDelimiter(delim);
  tester->setMaxLength(maxLength);
  net::StringTransport transport;
  tester->makeConnection(&transport);
  Observed& o = tester->observed;
  try {
    for (std::string_view chunk : chunks) {
      if (transport.disconnecting()) break;
      tester->dataReceived(chunk);
    }
  } catch (const Thrown&) {
    o.threw = true;
  }
  o.closed = transport.disconnecting();
  return std::move(o);
}

// Twisted's LineOnlyReceiver.dataReceived, chunk by chunk: split off every
// complete line; stop at the first too-long one; then measure the rest.
Observed modelLineOnly(const std::string& delim, std::size_t maxLength,
                       const std::vector<std::string_view>& chunks) {
  Observed o;
  std::string buffer;
  for (std::string_view chunk : chunks) {
    if (o.closed) break;
    buffer += chunk;
    std::size_t start = 0;
    bool returned = false;
    for (std::size_t at; (at = buffer.find(delim, start)) != std::string::npos;) {
      if (o.closed) {  // loseConnection() earlier in this chunk
        returned = true;
        break;
      }
      std::string line = buffer.substr(start, at - start);
      start = at + delim.size();
      if (line.size() > maxLength) {
        record(o, Kind::kTooLong, line);
        o.closed = true;
        returned = true;
        break;
      }
      record(o, Kind::kLine, line);
      if (!line.empty() && line[0] == 'M') maxLength = limitChoice(argumentOf(line));
      if (!line.empty() && line[0] == 'X') {
        o.threw = true;
        return o;
      }
    }
    if (returned) break;
    buffer.erase(0, start);
    if (buffer.size() > maxLength) {
      record(o, Kind::kTooLong, buffer);
      o.closed = true;
    }
  }
  return o;
}

void checkLineOnly(const std::string& delim, std::size_t maxLength,
                   std::string_view sizes, std::string_view stream) {
  std::vector<std::string_view> chunks = chunksOf(stream, sizes);
  Observed expected = modelLineOnly(delim, maxLength, chunks);
  Observed got = feedLineOnly(delim, maxLength, chunks);
  FUZZ_CHECK(got == expected, "LineOnlyReceiver, delimiter \"" + escaped(delim) +
                                  "\", maxLength " + std::to_string(maxLength) +
                                  ", stream \"" + escaped(stream) + "\":\n got      " +
                                  describe(got) + "\n expected " + describe(expected));
}

}  // namespace
}  // namespace torsion::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace torsion::fuzz;
  FuzzInput in(data, size);
  bool lineOnly = in.below(4) == 3;
  std::string delim = delimiterChoice(in.byte());
  std::size_t maxLength = limitChoice(in.byte());
  std::string_view sizes = in.take(in.below(8));
  std::string_view stream = in.rest();
  if (lineOnly) {
    checkLineOnly(delim, maxLength, sizes, stream);
  } else {
    checkLineReceiver(delim, maxLength, sizes, stream);
  }
  return 0;
}
