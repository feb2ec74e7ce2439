// Runs every workload once at a small size on torsion's three backends and
// the three minimal loops, and fails on any error the drivers report: a
// stall, a cancelled timer that fired, a byte lost between pipes, a backend
// that would not start. The benchmark binaries are tagged manual; this test
// is what `bazel test //...` builds and runs, so an API change in core/ that
// breaks the torsion adapter is caught at once. Peers are left out: their
// Debian packages are only installed by tools/bench.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace torsion::bench {
namespace {

class CollectingReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      names.push_back(run.benchmark_name());
      if (run.error_occurred)
        errors.push_back(run.benchmark_name() + ": " + run.error_message);
    }
  }
  std::vector<std::string> names;
  std::vector<std::string> errors;
};

TEST(BenchmarkSmoke, EveryWorkloadRunsOnTorsionAndTheMinimalLoops) {
  std::string program = "smoke_test";
  // The smallest registered size of each workload; W2's round sleeps a
  // second (untimed) for its deadlines, hence only 1,000 timers.
  std::string filter =
      "--benchmark_filter=^(W1_pipes/[a-z_]+/100|W2_timers/[a-z_]+/1000|"
      "W4_chain/[a-z_]+/10000|W4_batch/[a-z_]+/1000)/";
  std::string minTime = "--benchmark_min_time=0.001";
  std::vector<char*> argv = {program.data(), filter.data(), minTime.data()};
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());

  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  EXPECT_THAT(reporter.errors, testing::IsEmpty());
  // 6 implementations x 4 workloads.
  EXPECT_EQ(reporter.names.size(), 24u) << testing::PrintToString(reporter.names);
  for (const char* impl : {"torsion_epoll", "torsion_poll", "torsion_select", "min_epoll",
                           "min_poll", "min_select"}) {
    EXPECT_THAT(
        reporter.names,
        testing::Contains(testing::HasSubstr(std::string("W1_pipes/") + impl + "/100/")));
  }
}

}  // namespace
}  // namespace torsion::bench
