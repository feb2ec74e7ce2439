// A Deferred's callback chain, with an errback that recovers from one kind
// of failure and lets another through. Each step prints what it does, so
// the output shows which steps ran for each input. No reactor is needed:
// firing a Deferred runs its chain at once. The Twisted original:
//
//   def parsePort(text):
//       if not text.isdigit():
//           raise NotANumber(f'"{text}" is not a number')
//       port = int(text)
//       if not 1 <= port <= 65535:
//           raise PortOutOfRange(f"port {port} is outside 1..65535")
//       return port
//
//   def defaultWhenNotANumber(failure):
//       failure.trap(NotANumber)   # anything else goes on down the chain
//       return DEFAULT_PORT
//
//   d = Deferred()
//   d.addCallback(parsePort)
//   d.addErrback(defaultWhenNotANumber)
//   d.addCallback(describe)
//   d.addCallbacks(report, reportError)
//   d.callback("8000")
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

#include "deferred/deferred.h"

namespace {

constexpr unsigned kDefaultPort = 8080;

// Two kinds of bad input, as two exception types, so that an errback can
// tell them apart with trap<>(). Deriving from the standard types lets
// callers that do not care catch them as std::invalid_argument etc.
class NotANumber : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class PortOutOfRange : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

// Throwing from a callback switches the chain to its errback path.
unsigned parsePort(const std::string& text) {
  std::printf("  parsePort(\"%s\")\n", text.c_str());
  unsigned port = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, port);
  if (text.empty() || stop != end || error == std::errc::invalid_argument) {
    throw NotANumber("\"" + text + "\" is not a number");
  }
  // A number too large for `port` is still a number: out of range, like
  // one that fits but is not a port.
  if (error == std::errc::result_out_of_range || port < 1 || port > 65535) {
    throw PortOutOfRange("port " + text + " is outside 1..65535");
  }
  return port;
}

// Recovers from NotANumber only: trap() rethrows anything else, so that the
// next errback receives the very same failure. Returning a value puts the
// chain back on its callback path.
unsigned defaultWhenNotANumber(torsion::Failure failure) {
  failure.trap<NotANumber>();
  std::printf("  recovered from: %s; using port %u\n", failure.getErrorMessage().c_str(),
              kDefaultPort);
  return kDefaultPort;
}

std::string describe(unsigned port) {
  std::printf("  describe(%u)\n", port);
  return "listening on port " + std::to_string(port);
}

void report(const std::string& text) { std::printf("  result: %s\n", text.c_str()); }

// The last errback handles what is left: the failure stops here, so it is
// not logged as "Unhandled error in Deferred" when the chain goes away.
void reportError(torsion::Failure failure) {
  std::printf("  error: %s\n", failure.getErrorMessage().c_str());
}

}  // namespace

int main() {
  for (const char* text : {"8000", "http", "70000"}) {
    std::printf("configured port \"%s\":\n", text);
    torsion::Deferred<std::string> d;
    // Each add returns a handle typed for what the chain carries next
    // (string, then unsigned, then string, then nothing); the chain itself
    // is the one `d` fires.
    d.addCallback(parsePort)
        .addErrback(defaultWhenNotANumber)
        .addCallback(describe)
        .addCallbacks(report, reportError);
    d.callback(text);
  }
  return 0;
}
