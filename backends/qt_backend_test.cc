// What the qt backend needs and where it may live (backends/qt_backend.h):
// without a QCoreApplication it refuses, naming what is missing; with one,
// a backend made on a thread that QThread did not start works there (Qt
// gives that thread an event dispatcher). The backend's behaviour under the
// reactor is the conformance suites' *_qt targets (tests/conformance.bzl).
#include "backends/qt_backend.h"

#include <unistd.h>

#include <QtCore/QCoreApplication>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using testing::RecordingSink;
using testing::SocketPair;

// Runs first: the binary holds no QCoreApplication until the next test.
TEST(QtBackendTest, RefusesWithoutAQCoreApplication) {
  ASSERT_EQ(QCoreApplication::instance(), nullptr);
  absl::StatusOr<std::unique_ptr<Backend>> b = QtBackend::create();
  ASSERT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(b.status().message()).find("QCoreApplication"), std::string::npos)
      << b.status();
}

TEST(QtBackendTest, WorksOnAThreadQtDidNotStart) {
  int argc = 1;
  char name[] = "qt_backend_test";
  char* argv[] = {name, nullptr};
  QCoreApplication app(argc, argv);
  // The main thread wakes the worker's backend while `shared` names it.
  std::mutex mu;
  const Backend* shared = nullptr;
  std::atomic<bool> done{false};
  bool reported = false;
  bool woken = false;
  std::thread worker([&] {
    struct Done {
      std::atomic<bool>& done;
      ~Done() { done = true; }
    } markDone{done};
    absl::StatusOr<std::unique_ptr<Backend>> b = QtBackend::create();
    ASSERT_TRUE(b.ok()) << b.status();
    SocketPair pair = SocketPair::make();
    ASSERT_TRUE((*b)->setInterest(pair.a.get(), Interest::kNone, Interest::kRead).ok());
    ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
    RecordingSink sink;
    ASSERT_TRUE((*b)->poll(std::chrono::seconds(5), sink).ok());
    reported = sink.bitsFor(pair.a.get()) == kReadable;
    char drain;
    ASSERT_EQ(::read(pair.a.get(), &drain, 1), 1);
    // A wake-up from the main thread ends a wait with no deadline.
    {
      std::lock_guard<std::mutex> lock(mu);
      shared = b->get();
    }
    RecordingSink none;
    absl::StatusOr<int> n = (*b)->poll(std::nullopt, none);
    {
      std::lock_guard<std::mutex> lock(mu);
      shared = nullptr;
    }
    ASSERT_TRUE(n.ok()) << n.status();
    woken = none.events().empty();
    (*b)->forget(pair.a.get());
  });
  while (!done.load()) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (shared != nullptr) shared->wakeUp();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker.join();
  EXPECT_TRUE(reported);
  EXPECT_TRUE(woken);
}

}  // namespace
}  // namespace torsion
