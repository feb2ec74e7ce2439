// The counting allocator's byte count (alloc_counter.cc, ledger.h
// startHeapBytes/stopHeapBytes) and W2_memory on the minimal loop, whose
// per-timer memory is known from its types: a 32-byte heap entry and an
// 8-byte sequence number. Skipped where a sanitizer owns malloc.
#include <cstdlib>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/ledger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace torsion::bench {
namespace {

// Keeps the compiler from eliding a malloc/free pair.
void* volatile gSink;

TEST(HeapBytes, CountsWhatThisThreadHoldsNetOfFrees) {
  if (!ledger::startHeapBytes()) GTEST_SKIP() << "a sanitizer owns malloc here";
  gSink = std::malloc(1000);
  void* block = gSink;
  EXPECT_THAT(ledger::stopHeapBytes(),
              testing::AllOf(testing::Ge(1000), testing::Le(1024)));

  ASSERT_TRUE(ledger::startHeapBytes());  // from zero again
  gSink = std::realloc(block, 5000);
  block = gSink;
  EXPECT_THAT(ledger::stopHeapBytes(),
              testing::AllOf(testing::Ge(4000), testing::Le(4100)));

  ASSERT_TRUE(ledger::startHeapBytes());
  std::free(block);
  EXPECT_THAT(ledger::stopHeapBytes(),
              testing::AllOf(testing::Le(-5000), testing::Ge(-5100)));

  block = std::malloc(64);  // not counted: tracking is off
  ASSERT_TRUE(ledger::startHeapBytes());
  EXPECT_EQ(ledger::stopHeapBytes(), 0);
  std::free(block);
}

class Collect : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) errors.push_back(run.error_message);
      if (auto it = run.counters.find("bytes_per_timer"); it != run.counters.end())
        bytesPerTimer.push_back(it->second.value);
    }
  }
  std::vector<std::string> errors;
  std::vector<double> bytesPerTimer;
};

TEST(W2Memory, MinimalLoopHoldsItsHeapEntryAndSequence) {
  if (!ledger::startHeapBytes()) GTEST_SKIP() << "a sanitizer owns malloc here";
  ledger::stopHeapBytes();
  std::string program = "alloc_counter_test";
  std::vector<char*> argv = {program.data()};
  int argc = 1;
  benchmark::Initialize(&argc, argv.data());
  Collect reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter, "^W2_memory/min_epoll/");
  EXPECT_THAT(reporter.errors, testing::IsEmpty());
  // std::vector::reserve and assign allocate exactly; glibc rounds each
  // block up by at most 16 bytes, nothing per timer.
  EXPECT_THAT(reporter.bytesPerTimer,
              testing::ElementsAre(testing::DoubleNear(40, 0.01)));
}

}  // namespace
}  // namespace torsion::bench
