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

std::vector<std::string> dirtyReactorReport(Reactor& r) {
  std::vector<std::string> problems;
  if (std::size_t n = r.getDelayedCalls().size()) {
    problems.push_back("reactor left " + std::to_string(n) +
                       " pending DelayedCall(s) behind");
  }
  if (std::size_t n = r.getReaders().size()) {
    problems.push_back("reactor left " + std::to_string(n) + " reader(s) registered");
  }
  if (std::size_t n = r.getWriters().size()) {
    problems.push_back("reactor left " + std::to_string(n) + " writer(s) registered");
  }
  if (r.hasThreadPool() &&
      (r.getThreadPool().started() || r.getThreadPool().workers() > 0 ||
       r.getThreadPool().queued() > 0)) {
    problems.push_back(
        "reactor left its thread pool (threads or queued "
        "work) behind");
  }
  return problems;
}

void cleanReactor(Reactor& r) {
  for (DelayedCall& c : r.getDelayedCalls()) c.cancel();
  r.removeAll();
  if (r.hasThreadPool()) r.getThreadPool().stop();
}

namespace {

std::string describe(const log::Event& e) {
  std::string text = "[" + e.system + "] " + e.message;
  if (e.failure) {
    try {
      std::rethrow_exception(e.failure);
    } catch (const std::exception& ex) {
      text += std::string(": ") + ex.what();
    } catch (...) {
      text += ": (non-standard exception)";
    }
  }
  return text;
}

}  // namespace

void expectCleanThenClean(Reactor& r, log::LogCapture& log) {
  for (const std::string& problem : dirtyReactorReport(r)) {
    ADD_FAILURE() << problem;
  }
  cleanReactor(r);
  for (const log::Event& e : log.flushErrors()) {
    ADD_FAILURE() << "unexpected logged error " << describe(e);
  }
}

void ReactorTest::TearDown() {
  if (!reactor_) return;
  expectCleanThenClean(*reactor_, capture_);
  reactor_.reset();
}

}  // namespace torsion::testing
