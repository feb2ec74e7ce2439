// Cost of one poll() and of each reported event, per backend, with N
// descriptors ready: the backend's share of the reactor's per-event budget
// (about 66 user-space instructions per event on the libevent bench
// workload). Build with -c opt:
//
//   tools/bazelw run --config=opt //backends:backend_bench
//   perf stat -e instructions:u bazel-bin/backends/backend_bench
//       --benchmark_filter='PollDispatch/epoll/1000'   (one command line)
//
// Each benchmark is named PollDispatch/<backend>/<ready descriptors>.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/registry.h"
#include "benchmark/benchmark.h"
#include "testing/descriptor_pair.h"

namespace torsion {
namespace {

class CountingSink final : public ReadinessSink {
 public:
  void onReady(int fd, std::uint8_t bits) override { sum_ += fd + bits; }
  long sum_ = 0;
};

void pollDispatch(benchmark::State& state, const std::string& name) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = createBackend(name);
  if (!backend.ok()) {
    state.SkipWithError(std::string(backend.status().message()).c_str());
    return;
  }
  const int count = static_cast<int>(state.range(0));
  std::vector<testing::SocketPair> pairs;
  for (int i = 0; i < count; ++i) {
    pairs.push_back(testing::SocketPair::make());
    testing::writeByte(pairs.back().b.get());  // level-triggered: stays ready
    if (!(*backend)
             ->setInterest(pairs.back().a.get(), Interest::kNone, Interest::kRead)
             .ok()) {
      state.SkipWithError("setInterest failed (descriptor limit?)");
      return;
    }
  }
  CountingSink sink;
  for (auto _ : state) {
    absl::StatusOr<int> n = (*backend)->poll(std::chrono::nanoseconds(0), sink);
    benchmark::DoNotOptimize(n);
  }
  benchmark::DoNotOptimize(sink.sum_);
  state.SetItemsProcessed(state.iterations() * count);
}

}  // namespace
}  // namespace torsion

// Registers at run time, after every backend's static initialiser ran: the
// set of backends is whatever is linked in.
int main(int argc, char** argv) {
  for (const std::string& name : torsion::registeredBackends()) {
    benchmark::RegisterBenchmark(("PollDispatch/" + name).c_str(), torsion::pollDispatch,
                                 name)
        ->Arg(1)
        ->Arg(100)
        ->Arg(1000);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
