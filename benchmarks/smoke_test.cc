// Runs every workload once at a small size on torsion's backends (glib and
// qt included on Linux) and the three minimal loops, and fails on any error the drivers
// report: a stall, a cancelled timer that fired, a byte lost between pipes, a backend
// that would not start. The benchmark binaries are tagged manual; this test
// is what `bazel test //...` builds and runs, so an API change in core/ that
// breaks the torsion adapter is caught at once. Peers are left out: their
// Debian packages are only installed by tools/bench. The W3 tests below run
// the echo load generator against torsion and the minimal server, over TCP
// and over TLS.
#include <algorithm>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/echo_client.h"
#include "benchmarks/echo_server.h"
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
  // 6 implementations (8 with torsion_glib and torsion_qt on Linux) x 4
  // workloads, plus torsion_io_uring where the kernel has it.
  std::vector<std::string> impls = {"torsion_epoll", "torsion_poll", "torsion_select",
                                    "min_epoll",     "min_poll",     "min_select"};
#if defined(__linux__)
  impls.push_back("torsion_glib");
  impls.push_back("torsion_qt");
#endif
  const bool ioUring =
      std::any_of(reporter.names.begin(), reporter.names.end(), [](const std::string& n) {
        return n.find("/torsion_io_uring/") != std::string::npos;
      });
  EXPECT_EQ(reporter.names.size(), 4 * (impls.size() + (ioUring ? 1 : 0)))
      << testing::PrintToString(reporter.names);
  for (const std::string& impl : impls) {
    EXPECT_THAT(
        reporter.names,
        testing::Contains(testing::HasSubstr(std::string("W1_pipes/") + impl + "/100/")));
  }
}

// W6 (calls from another thread), small, on torsion's epoll and poll
// backends: a stall (a lost wake-up) is reported as an error.
TEST(BenchmarkSmoke, CallsFromAnotherThreadRunOnTorsion) {
  std::string program = "smoke_test";
  std::string minTime = "--benchmark_min_time=0.001";
  std::vector<char*> argv = {program.data(), minTime.data()};
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(
      &reporter,
      "^W6_(throughput/torsion_(epoll|poll)/2000|wakeup/torsion_(epoll|poll)/200)/");
  EXPECT_THAT(reporter.errors, testing::IsEmpty());
  EXPECT_EQ(reporter.names.size(), 4u) << testing::PrintToString(reporter.names);
}

// W3 (TCP echo), briefly: the load generator's ping-pong over 1 and 20
// connections and a 1 MiB bulk stream against torsion's epoll and poll
// servers and the minimal epoll server, each on a thread of this process.
// Every phase is bounded (count and a 20 s limit).
class EchoSmoke : public testing::TestWithParam<std::string> {};

TEST_P(EchoSmoke, PingPongAndBulkComeBackIntact) {
  auto server = EchoServerThread::start(GetParam());
  ASSERT_TRUE(server.ok()) << server.status();
  for (int connections : {1, 20}) {
    auto clients = EchoClients::connect((*server)->port(), connections);
    ASSERT_TRUE(clients.ok()) << clients.status();
    auto result = (*clients)->pingPong(200, 20.0);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->roundTrips, 200);
    EXPECT_EQ(result->latencyNs.size(), 200u);
    EXPECT_GT(result->seconds, 0);
  }
  auto clients = EchoClients::connect((*server)->port(), 1);
  ASSERT_TRUE(clients.ok()) << clients.status();
  auto bulk = (*clients)->bulk(1 << 20, 20.0);
  ASSERT_TRUE(bulk.ok()) << bulk.status();
  EXPECT_EQ(bulk->bytes, 1 << 20);
  clients->reset();
  EXPECT_TRUE((*server)->stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, EchoSmoke,
                         testing::Values("torsion_epoll", "torsion_poll", "min_epoll"));

// W3 over TLS, briefly: the load generator's TLS client (handshake, then
// ping-pong over 1 and 20 connections) against torsion's TLS echo server
// (net/tls over epoll) and the minimal OpenSSL loop, each on a thread of
// this process; bulk over TLS is refused by name.
class TlsEchoSmoke : public testing::TestWithParam<std::string> {};

TEST_P(TlsEchoSmoke, PingPongComesBackIntact) {
  auto server = EchoServerThread::start(GetParam());
  ASSERT_TRUE(server.ok()) << server.status();
  for (int connections : {1, 20}) {
    auto clients = EchoClients::connectTls((*server)->port(), connections, 20.0);
    ASSERT_TRUE(clients.ok()) << clients.status();
    auto result = (*clients)->pingPong(200, 20.0);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->roundTrips, 200);
    EXPECT_EQ(result->latencyNs.size(), 200u);
    auto bulk = (*clients)->bulk(1 << 10, 20.0);
    ASSERT_FALSE(bulk.ok());
    EXPECT_THAT(std::string(bulk.status().message()), testing::HasSubstr("not TLS"));
  }
  EXPECT_TRUE((*server)->stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, TlsEchoSmoke,
                         testing::Values("torsion_epoll_tls", "min_epoll_tls"));

TEST(TlsEchoSmoke, PlainServerFailsTheHandshakeByName) {
  auto server = EchoServerThread::start("min_epoll");
  ASSERT_TRUE(server.ok()) << server.status();
  // The plain echo server sends the ClientHello back: not a ServerHello.
  auto clients = EchoClients::connectTls((*server)->port(), 1, 20.0);
  ASSERT_FALSE(clients.ok());
  EXPECT_THAT(std::string(clients.status().message()),
              testing::HasSubstr("TLS handshake failed"));
}

TEST(EchoSmoke, UnknownServerIsAClearError) {
  auto server = EchoServerThread::start("no_such_loop");
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), testing::HasSubstr("no_such_loop"));
}

TEST(EchoSmoke, RefusedConnectionNamesConnect) {
  // A port that was listening a moment ago and is closed now.
  auto server = EchoServerThread::start("min_epoll");
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  server->reset();
  auto clients = EchoClients::connect(port, 1);
  ASSERT_FALSE(clients.ok());
  EXPECT_THAT(std::string(clients.status().message()), testing::HasSubstr("connect("));
}

TEST(EchoSmoke, QuantileIsNearestRank) {
  std::vector<double> values = {5, 1, 4, 2, 3};
  EXPECT_EQ(quantile(values, 0.5), 3);
  EXPECT_EQ(quantile(values, 0.0), 1);
  EXPECT_EQ(quantile(values, 1.0), 5);
  std::vector<double> none;
  EXPECT_EQ(quantile(none, 0.99), 0);
}

}  // namespace
}  // namespace torsion::bench
