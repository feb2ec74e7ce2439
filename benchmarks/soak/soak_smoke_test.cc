// The soak in small (200 connections, two slow readers) on every Linux
// backend: it must hold and echo every connection and get every slow
// reader's bytes back. Figures are not checked here (no timed or sized
// assertions in tests); tools/soak reports them.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "benchmarks/soak/soak.h"
#include "gtest/gtest.h"

namespace torsion::bench {
namespace {

SoakOptions small(const std::string& backend) {
  SoakOptions options;
  options.serverPath = "benchmarks/soak/soak_server";  // runfiles-relative
  options.backend = backend;
  options.connections = 200;
  options.idleSeconds = 0.2;
  options.slowReaders = 2;
  options.slowBytes = std::size_t{4} << 20;
  options.maxSeconds = 60;
  return options;
}

class SoakSmokeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SoakSmokeTest, HoldsAndEchoesEveryConnection) {
  absl::StatusOr<SoakResult> result = runSoak(small(GetParam()));
  if (!result.ok() && result.status().code() == absl::StatusCode::kUnavailable) {
    GTEST_SKIP() << result.status();  // e.g. io_uring_setup refused here
  }
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->connectionsHeld, 200);
  EXPECT_EQ(result->echoedBeforeIdle, 200);
  EXPECT_EQ(result->echoedAfterIdle, 200);
  EXPECT_EQ(result->slowReaders, 2);
  EXPECT_GT(result->slowBytesSentMean, 0u);
  EXPECT_TRUE(result->slowEchoComplete);
  EXPECT_GT(result->serverRssIdleKiB, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SoakSmokeTest,
                         ::testing::Values("epoll", "poll", "select", "io_uring"),
                         [](const auto& info) { return info.param; });

TEST(SoakLimitsTest, SelectCannotHoldTenThousand) {
  EXPECT_NE(knownLimit("select", 10000).find("FD_SETSIZE"), std::string::npos);
  EXPECT_EQ(knownLimit("select", 200), "");
  EXPECT_EQ(knownLimit("epoll", 10000), "");
  absl::StatusOr<SoakResult> result = runSoak([] {
    SoakOptions o = small("select");
    o.connections = 10000;
    return o;
  }());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SoakLimitsTest, HardDescriptorLimitTooLowIsAClearError) {
  // In a child: a lowered hard limit cannot be raised again.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit low{100, 100};
    if (setrlimit(RLIMIT_NOFILE, &low) != 0) _exit(10);
    absl::StatusOr<SoakResult> result = runSoak(small("epoll"));
    bool clear = !result.ok() &&
                 result.status().code() == absl::StatusCode::kFailedPrecondition &&
                 result.status().message().find("hard RLIMIT_NOFILE is 100") !=
                     absl::string_view::npos;
    _exit(clear ? 0 : 11);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace torsion::bench
