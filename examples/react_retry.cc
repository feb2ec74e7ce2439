// task::react as a program's main: the exit status comes from the Deferred
// the main function returns. The program retries a flaky call with a
// growing delay between attempts:
//   exit 0  a call succeeded;
//   exit 1  every attempt failed: run()'s Deferred fails, react logs the
//           error ("main function encountered error") and returns 1;
//   exit 2  bad arguments: it fails with task::SystemExit(2), which react
//           turns into that status without logging anything.
// The Twisted original:
//
//   @defer.inlineCallbacks
//   def fetchWithRetries(reactor, service, attempts, delay):
//       for attempt in range(1, attempts + 1):
//           try:
//               return (yield service.fetch())
//           except Unavailable as e:
//               if attempt == attempts:
//                   raise RuntimeError(f"gave up after {attempts} attempts: {e}")
//               yield task.deferLater(reactor, delay)
//               delay *= 2
//
//   def main(reactor, *argv):
//       ...  # on bad arguments: raise SystemExit(2)
//       return fetchWithRetries(reactor, FlakyService(failures), attempts, 0.01)
//
//   task.react(main, sys.argv[1:])
//
// Usage: react_retry [--failures N] [--attempts N]
//   --failures N  how many calls the stand-in service fails first (default 0)
//   --attempts N  how many calls to make at most (default 3)
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.h"
#include "deferred/deferred.h"
#include "task/defer_later.h"
#include "task/errors.h"
#include "task/react.h"

namespace {

using namespace std::chrono_literals;

// The error worth retrying. Anything else (a bug, bad data) is not: it
// leaves the loop below at once.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stand-in for a network call that fails its first `failures` calls.
class FlakyService {
 public:
  explicit FlakyService(int failures) : failures_(failures) {}
  torsion::Deferred<std::string> fetch() {
    if (++calls_ <= failures_) {
      return torsion::fail<std::string>(Unavailable("service unavailable"));
    }
    return torsion::succeed(std::string("42 widgets in stock"));
  }

 private:
  int failures_;
  int calls_ = 0;
};

struct Options {
  int failures = 0;
  int attempts = 3;
};

// Parses "--failures N --attempts N"; nullopt on anything else.
std::optional<Options> parseOptions(const std::vector<std::string>& args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); i += 2) {
    if (i + 1 == args.size()) return std::nullopt;
    const std::string& value = args[i + 1];
    int n = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (error != std::errc() || end != value.data() + value.size() || n < 0) {
      return std::nullopt;
    }
    if (args[i] == "--failures") {
      options.failures = n;
    } else if (args[i] == "--attempts" && n >= 1) {
      options.attempts = n;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

// A coroutine, so `args` is taken by value: the frame outlives the call.
// (The reactor is react's and outlives it.)
torsion::Deferred<void> run(torsion::Reactor& reactor, std::vector<std::string> args) {
  std::optional<Options> options = parseOptions(args);
  if (!options) {
    std::fprintf(stderr, "usage: react_retry [--failures N] [--attempts N]\n");
    throw torsion::task::SystemExit(2);
  }
  FlakyService service(options->failures);
  torsion::Seconds delay = 10ms;
  for (int attempt = 1;; ++attempt) {
    std::string error;
    try {
      std::string result = co_await service.fetch();
      std::printf("attempt %d: %s\n", attempt, result.c_str());
      co_return;
    } catch (const Unavailable& e) {
      error = e.what();  // C++ cannot co_await inside a catch block
    }
    if (attempt == options->attempts) {
      std::printf("attempt %d: %s; giving up\n", attempt, error.c_str());
      throw std::runtime_error("gave up after " + std::to_string(attempt) +
                               " attempts: " + error);
    }
    std::printf("attempt %d: %s; retrying in %.2fs\n", attempt, error.c_str(),
                delay.count());
    co_await torsion::task::deferLater(reactor, delay);
    delay *= 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return torsion::task::react(
      [&args](torsion::Reactor& reactor) { return run(reactor, args); });
}
