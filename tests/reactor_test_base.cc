#include "tests/reactor_test_base.h"

#include <string>
#include <vector>

namespace torsion::testing {

void ReactorTest::SetUp() {
  ReactorOptions options;
  options.backend = GetParam();
  rebuildReactor(std::move(options));
}

void ReactorTest::rebuildReactor(ReactorOptions options) {
  reactor_.reset();
  absl::StatusOr<std::unique_ptr<Reactor>> r = Reactor::create(std::move(options));
  ASSERT_TRUE(r.ok()) << r.status();
  reactor_ = *std::move(r);
}

void ReactorTest::runReactor(Seconds timeout) {
  bool timedOut = false;
  DelayedCall guard = reactor_->callLater(timeout, [&] {
    timedOut = true;
    try {
      reactor_->stop();
    } catch (const ReactorNotRunning&) {
      reactor_->crash();  // stop() already called: shutdown is stuck
    }
  });
  reactor_->run(/*installSignalHandlers=*/false);
  if (guard.active()) guard.cancel();
  EXPECT_FALSE(timedOut) << "the reactor was still running after " << timeout.count()
                         << " s";
}

void ReactorTest::TearDown() {
  if (!reactor_) return;
  Reactor& r = *reactor_;
  // Twisted's dirty-reactor check (trial's _Janitor).
  std::vector<DelayedCall> calls = r.getDelayedCalls();
  EXPECT_TRUE(calls.empty()) << "reactor left " << calls.size()
                             << " pending DelayedCall(s) behind";
  for (DelayedCall& c : calls) c.cancel();
  std::vector<FileDescriptor*> readers = r.getReaders();
  std::vector<FileDescriptor*> writers = r.getWriters();
  EXPECT_TRUE(readers.empty()) << "reactor left " << readers.size()
                               << " reader(s) registered";
  EXPECT_TRUE(writers.empty()) << "reactor left " << writers.size()
                               << " writer(s) registered";
  r.removeAll();
  EXPECT_FALSE(r.hasThreadPool()) << "reactor left its thread pool running";
  std::vector<log::Event> errors = capture_.flushErrors();
  for (const log::Event& e : errors) {
    ADD_FAILURE() << "unexpected logged error [" << e.system << "]: " << e.message;
  }
  reactor_.reset();
}

}  // namespace torsion::testing
