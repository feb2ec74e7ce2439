// soak: runs the soak (soak.h) on one backend and prints its figures as one
// JSON object on standard output (a human summary goes to stderr).
//
//   soak --server PATH --backend epoll [--connections 10000]
//        [--idle_seconds 5] [--slow_readers 4] [--slow_mib 64]
//        [--max_seconds 300]
//
// Exit status: 0 with the figures; 3 when the backend cannot take part
// (select's FD_SETSIZE, or a backend this machine refuses, e.g. io_uring
// where io_uring_setup is not allowed) with {"backend": ..., "skipped":
// reason}; 1 on any other failure with {"backend": ..., "error": message};
// 2 on bad usage.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "benchmarks/soak/soak.h"

namespace {

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --server PATH --backend NAME [--connections N] "
               "[--idle_seconds S] [--slow_readers K] [--slow_mib M] [--max_seconds T]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  torsion::bench::SoakOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage(argv[0]);
    const char* value = argv[++i];
    if (flag == "--server") {
      options.serverPath = value;
    } else if (flag == "--backend") {
      options.backend = value;
    } else if (flag == "--connections") {
      options.connections = std::atoi(value);
    } else if (flag == "--idle_seconds") {
      options.idleSeconds = std::atof(value);
    } else if (flag == "--slow_readers") {
      options.slowReaders = std::atoi(value);
    } else if (flag == "--slow_mib") {
      options.slowBytes = static_cast<std::size_t>(std::atof(value) * (1 << 20));
    } else if (flag == "--max_seconds") {
      options.maxSeconds = std::atof(value);
    } else {
      return usage(argv[0]);
    }
  }
  if (options.serverPath.empty() || options.backend.empty() || options.connections < 0 ||
      options.slowReaders < 0 || !(options.maxSeconds > 0) || options.idleSeconds < 0) {
    return usage(argv[0]);
  }

  auto result = torsion::bench::runSoak(options);
  if (!result.ok()) {
    const absl::Status& s = result.status();
    std::string message(s.message().data(), s.message().size());
    bool skipped = s.code() == absl::StatusCode::kUnavailable ||
                   (options.backend == "select" &&
                    !torsion::bench::knownLimit("select", options.connections).empty());
    std::fprintf(stderr, "soak: %s\n", message.c_str());
    std::printf("{\"backend\": %s, \"%s\": %s}\n", jsonString(options.backend).c_str(),
                skipped ? "skipped" : "error", jsonString(message).c_str());
    return skipped ? 3 : 1;
  }
  const auto& r = *result;
  std::fprintf(stderr,
               "soak %s: %d/%d connections held (echoed %d then %d), %.0f bytes per idle "
               "connection",
               r.backend.c_str(), r.connectionsHeld, r.connectionsWanted,
               r.echoedBeforeIdle, r.echoedAfterIdle, r.bytesPerIdleConnection);
  if (r.slowReaders > 0) {
    std::fprintf(
        stderr, "; %d slow readers sent %.1f MiB each: server +%.0f KiB each, echo %s",
        r.slowReaders, r.slowBytesSentMean / 1048576.0, r.serverGrowthPerSlowReaderKiB,
        r.slowEchoComplete ? "complete" : "INCOMPLETE");
  }
  std::fprintf(stderr, "; %.1f s\n", r.seconds);
  std::printf("%s\n", r.toJson().c_str());
  return 0;
}
