// Child processes on every backend, reaped through pidfd and through
// SIGCHLD (AllBackends/ProcessTest.*/epoll and .../epoll_sigchld): ported
// from twisted/test/test_process.py where a case has a counterpart
// (ProcessTests, PosixProcessTests, test_processEnded ordering).
#include "net/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "net/process_reaper.h"
#include "tests/reactor_test_base.h"

using namespace std::chrono_literals;

namespace torsion::testing {
namespace {

using net::ProcessDone;
using net::ProcessTerminated;

constexpr std::string_view kSigchldSuffix = "_sigchld";

// Each backend twice: reaping by pidfd, and by SIGCHLD with pidfd refused.
std::vector<std::string> backendsAndReapers() {
  std::vector<std::string> out;
  for (const std::string& b : availableBackends()) {
    out.push_back(b);
    out.push_back(b + std::string(kSigchldSuffix));
  }
  return out;
}

class ProcessTest : public ReactorTest {
 protected:
  void SetUp() override {
    std::string backend = GetParam();
    const bool sigchld = backend.ends_with(kSigchldSuffix);
    if (sigchld) backend.resize(backend.size() - kSigchldSuffix.size());
    net::internal::setPidfdAllowed(!sigchld);
    ReactorOptions options;
    options.backend = backend;
    rebuildReactor(std::move(options));
  }
  void TearDown() override {
    ReactorTest::TearDown();
    net::internal::setPidfdAllowed(true);
  }
};

// Records every callback in order.
class Recorder : public net::ProcessProtocol {
 public:
  void connectionMade() override { events.push_back("connectionMade"); }
  void childDataReceived(int childFD, std::string_view data) override {
    if (onData) onData(childFD, data);
    received[childFD] += data;
  }
  void childConnectionLost(int childFD) override {
    events.push_back("childConnectionLost " + std::to_string(childFD));
  }
  void processExited(const Failure& reason) override {
    events.push_back("processExited");
    exited = reason;
  }
  void processEnded(const Failure& reason) override {
    events.push_back("processEnded");
    ended = reason;
    transportAtEnd = transport();
  }

  std::string out() { return received[1]; }
  std::string err() { return received[2]; }
  int indexOf(std::string_view event) const {
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i] == event) return static_cast<int>(i);
    }
    return -1;
  }

  std::function<void(int, std::string_view)> onData;
  std::vector<std::string> events;
  std::map<int, std::string> received;
  std::optional<Failure> exited;
  std::optional<Failure> ended;
  net::ProcessTransport* transportAtEnd = nullptr;
};

// A ProcessTerminated's exit code, or -1.
int exitCodeOf(const Failure& f) {
  const auto* t = f.value<ProcessTerminated>();
  return t != nullptr && t->exitCode() ? *t->exitCode() : -1;
}

bool reaped(int pid) {
  errno = 0;
  return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

// ProcessTests.test_process-style: /bin/true ends with ProcessDone, and the
// callbacks come in Twisted's order.
TEST_P(ProcessTest, ExitCodeZeroIsProcessDone) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/true", {"true"});
  ASSERT_TRUE(t.ok()) << t.status();
  const int pid = *(*t)->pid();
  EXPECT_GT(pid, 0);
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  ASSERT_TRUE(p->exited.has_value());
  EXPECT_TRUE(p->ended->check<ProcessDone>());
  EXPECT_TRUE(p->ended->check<ConnectionDone>());
  EXPECT_EQ(p->ended->value<ProcessDone>()->exitCode(), 0);
  EXPECT_EQ(p->events.front(), "connectionMade");
  EXPECT_EQ(p->events.back(), "processEnded");
  for (int fd : {0, 1, 2}) {
    EXPECT_GE(p->indexOf("childConnectionLost " + std::to_string(fd)), 0) << fd;
  }
  EXPECT_EQ(p->events.size(), 6u);
  EXPECT_EQ(p->transportAtEnd, t->get());
  EXPECT_EQ(p->transport(), nullptr);
  EXPECT_FALSE((*t)->pid().has_value());
  EXPECT_TRUE(reaped(pid));
}

// test_processExitedWithSignal / exit codes: ProcessTerminated carries the
// exit code, or the signal.
TEST_P(ProcessTest, NonZeroExitCodeIsProcessTerminated) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh", {"sh", "-c", "exit 42"});
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  ASSERT_TRUE(p->ended->check<ProcessTerminated>());
  EXPECT_TRUE(p->ended->check<ConnectionLost>());
  EXPECT_EQ(exitCodeOf(*p->ended), 42);
  EXPECT_FALSE(p->ended->value<ProcessTerminated>()->signal().has_value());
  EXPECT_EQ(exitCodeOf(*p->exited), 42);
  EXPECT_NE(p->ended->getErrorMessage().find("exit code 42"), std::string::npos);
}

TEST_P(ProcessTest, KilledBySignal) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/cat", {"cat"});
  ASSERT_TRUE(t.ok()) << t.status();
  (*t)->signalProcess("KILL");
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  const auto* terminated = p->ended->value<ProcessTerminated>();
  ASSERT_NE(terminated, nullptr);
  EXPECT_EQ(terminated->signal(), SIGKILL);
  EXPECT_FALSE(terminated->exitCode().has_value());
  EXPECT_NE(p->ended->getErrorMessage().find("by signal 9"), std::string::npos);
  // test_signalProcessAfterExit-style: the child is gone.
  EXPECT_THROW((*t)->signalProcess("TERM"), net::ProcessExitedAlready);
  EXPECT_THROW((*t)->signalProcess(SIGKILL), net::ProcessExitedAlready);
}

TEST_P(ProcessTest, SignalByNumberAndUnknownName) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/cat", {"cat"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THROW((*t)->signalProcess("NOSUCHSIGNAL"), std::invalid_argument);
  (*t)->signalProcess(0);  // "are you there": nothing happens
  (*t)->signalProcess(SIGTERM);
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  ASSERT_NE(p->ended->value<ProcessTerminated>(), nullptr);
  EXPECT_EQ(p->ended->value<ProcessTerminated>()->signal(), SIGTERM);
}

// test_stdio-style: what we write to cat comes back; closing stdin ends it.
TEST_P(ProcessTest, EchoThroughCat) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "cat", {"cat"});
  ASSERT_TRUE(t.ok()) << t.status();
  (*t)->write("hello ");
  std::string_view pieces[] = {"wor", "ld"};
  (*t)->writeSequence(pieces);
  (*t)->writeToChild(0, "!");
  (*t)->closeStdin();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_EQ(p->out(), "hello world!");
  EXPECT_TRUE(p->ended->check<ProcessDone>());
  // The pipe is closed: writes are dropped, as in Twisted.
  (*t)->write("dropped");
}

// Large output on stdout and stderr at once, while we still write a large
// stdin: every pipe must be served together or the child deadlocks.
TEST_P(ProcessTest, LargeOutputOnBothStreamsWithoutDeadlock) {
  constexpr std::size_t kSize = 2 * 1024 * 1024;
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh", {"sh", "-c", "tee /dev/stderr"});
  ASSERT_TRUE(t.ok()) << t.status();
  std::string payload(kSize, '\0');
  for (std::size_t i = 0; i < kSize; ++i) payload[i] = static_cast<char>('a' + i % 26);
  (*t)->write(payload);
  EXPECT_GT((*t)->writeBufferSize(), 0u);  // a pipe holds 64 KiB at most
  (*t)->closeStdin();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }, Seconds(60)));
  EXPECT_TRUE(p->ended->check<ProcessDone>()) << p->ended->getErrorMessage();
  EXPECT_EQ(p->out().size(), kSize);
  EXPECT_EQ(p->err().size(), kSize);
  EXPECT_TRUE(p->out() == payload);
  EXPECT_TRUE(p->err() == payload);
}

// Closing stdin before writing anything: cat sees EOF at once.
TEST_P(ProcessTest, StdinClosedEarly) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/cat", {"cat"});
  ASSERT_TRUE(t.ok()) << t.status();
  (*t)->closeStdin();
  (*t)->closeStdin();  // twice is harmless
  (*t)->write("after close: dropped");
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_TRUE(p->ended->check<ProcessDone>());
  EXPECT_EQ(p->out(), "");
  EXPECT_LT(p->indexOf("childConnectionLost 0"), p->indexOf("processExited"));
}

// The child closes its stdin while running: we hear childConnectionLost(0)
// before it exits, and writing into the dead pipe raises no SIGPIPE (whose
// default would kill this test).
TEST_P(ProcessTest, ChildClosesItsStdin) {
  auto p = std::make_shared<Recorder>();
  net::ProcessTransport* transport = nullptr;
  p->onData = [&](int fd, std::string_view) {
    if (fd == 1) transport->write(std::string(256 * 1024, 'x'));
  };
  auto t = net::spawnProcess(reactor(), p, "/bin/sh",
                             {"sh", "-c", "exec 0<&-; echo closed; sleep 1"});
  ASSERT_TRUE(t.ok()) << t.status();
  transport = t->get();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_EQ(p->out(), "closed\n");
  EXPECT_GE(p->indexOf("childConnectionLost 0"), 0);
  EXPECT_LT(p->indexOf("childConnectionLost 0"), p->indexOf("processExited"));
  EXPECT_TRUE(p->ended->check<ProcessDone>());
}

// test_processEnded ordering: a grandchild holds stdout open after the
// child exited; processExited comes at the exit, processEnded only after
// the grandchild's output and the pipes' close.
TEST_P(ProcessTest, ProcessEndedWaitsForEveryPipe) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh",
                             {"sh", "-c", "exec 0<&-; (sleep 0.3; echo late) & exit 3"});
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE(iterateUntil([&] { return p->exited.has_value(); }));
  EXPECT_FALSE(p->ended.has_value());
  EXPECT_EQ(exitCodeOf(*p->exited), 3);
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_EQ(p->out(), "late\n");
  EXPECT_EQ(exitCodeOf(*p->ended), 3);
  EXPECT_EQ(p->events.back(), "processEnded");
}

// The other way round: every pipe closes while the child runs on.
TEST_P(ProcessTest, ChildOutlivesItsPipes) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh",
                             {"sh", "-c", "exec 0<&- 1>&- 2>&-; sleep 0.3"});
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE(iterateUntil([&] {
    return p->indexOf("childConnectionLost 1") >= 0 &&
           p->indexOf("childConnectionLost 2") >= 0;
  }));
  EXPECT_FALSE(p->exited.has_value());
  EXPECT_TRUE((*t)->pid().has_value());
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_LT(p->indexOf("childConnectionLost 0"), p->indexOf("processExited"));
  EXPECT_TRUE(p->ended->check<ProcessDone>());
}

// The child outlives its protocol and every handle we had: the transport
// keeps itself (and the protocol) alive, reaps the child and ends.
TEST_P(ProcessTest, ChildOutlivesItsProtocol) {
  bool ended = false;
  int pid = -1;
  {
    struct Flag : net::ProcessProtocol {
      bool* ended;
      void processEnded(const Failure&) override { *ended = true; }
    };
    auto p = std::make_shared<Flag>();
    p->ended = &ended;
    auto t = net::spawnProcess(reactor(), p, "/bin/sh", {"sh", "-c", "sleep 0.2"});
    ASSERT_TRUE(t.ok()) << t.status();
    pid = *(*t)->pid();
  }
  ASSERT_TRUE(iterateUntil([&] { return ended; }));
  EXPECT_TRUE(reaped(pid));
  // Let the transport's last reference go (released on the next pass).
  reactor().iterate();
}

// test_manyProcesses-style, wider: 100 children at once.
TEST_P(ProcessTest, HundredConcurrentChildren) {
  constexpr int kChildren = 100;
  std::vector<std::shared_ptr<Recorder>> protocols;
  for (int i = 0; i < kChildren; ++i) {
    auto p = std::make_shared<Recorder>();
    auto t =
        net::spawnProcess(reactor(), p, "/bin/sh",
                          {"sh", "-c", "echo $0; exit $(($0 % 7))", std::to_string(i)});
    ASSERT_TRUE(t.ok()) << i << ": " << t.status();
    protocols.push_back(p);
  }
  ASSERT_TRUE(iterateUntil(
      [&] {
        for (auto& p : protocols) {
          if (!p->ended) return false;
        }
        return true;
      },
      Seconds(60)));
  for (int i = 0; i < kChildren; ++i) {
    EXPECT_EQ(protocols[i]->out(), std::to_string(i) + "\n") << i;
    if (i % 7 == 0) {
      EXPECT_TRUE(protocols[i]->ended->check<ProcessDone>()) << i;
    } else {
      EXPECT_EQ(exitCodeOf(*protocols[i]->ended), i % 7) << i;
    }
  }
}

// A child that cannot start is an error from spawnProcess; the protocol
// hears nothing.
TEST_P(ProcessTest, MissingExecutable) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/no/such/executable", {"x"});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound) << t.status();
  EXPECT_NE(t.status().message().find("execve(/no/such/executable)"), std::string::npos)
      << t.status();
  EXPECT_NE(t.status().message().find("No such file or directory"), std::string::npos);

  auto searched = net::spawnProcess(reactor(), p, "torsion-no-such-program", {"x"},
                                    net::Environment{{"PATH", "/bin:/usr/bin"}});
  ASSERT_FALSE(searched.ok());
  EXPECT_EQ(searched.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(searched.status().message().find("torsion-no-such-program"),
            std::string::npos);

  // Not executable by anyone (root included): no x bit at all.
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string plain = std::string(tmp != nullptr ? tmp : "/tmp") +
                            "/torsion-plain-" + std::to_string(::getpid());
  const int fd = ::open(plain.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto notExecutable = net::spawnProcess(reactor(), p, plain, {"x"});
  ::unlink(plain.c_str());
  ASSERT_FALSE(notExecutable.ok());
  EXPECT_EQ(notExecutable.status().code(), absl::StatusCode::kPermissionDenied)
      << notExecutable.status();

  auto badDirectory = net::spawnProcess(reactor(), p, "/bin/true", {"true"}, std::nullopt,
                                        "/no/such/dir");
  ASSERT_FALSE(badDirectory.ok());
  EXPECT_NE(badDirectory.status().message().find("chdir(/no/such/dir)"),
            std::string::npos)
      << badDirectory.status();
  EXPECT_TRUE(p->events.empty());
  // No zombie left behind: the failed children were reaped.
  EXPECT_TRUE(reaped(-1));
}

TEST_P(ProcessTest, BadArgumentsAreRefused) {
  auto p = std::make_shared<Recorder>();
  auto code = [](const auto& r) { return r.status().code(); };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(net::spawnProcess(reactor(), nullptr, "/bin/true", {"true"})), kInvalid);
  EXPECT_EQ(code(net::spawnProcess(reactor(), p, "", {""})), kInvalid);
  EXPECT_EQ(code(net::spawnProcess(reactor(), p, "/bin/true", {std::string("a\0b", 3)})),
            kInvalid);
  EXPECT_EQ(code(net::spawnProcess(reactor(), p, "/bin/true", {"true"},
                                   net::Environment{{"A=B", "c"}})),
            kInvalid);
  EXPECT_EQ(code(net::spawnProcess(reactor(), p, "/bin/true", {"true"}, std::nullopt, "",
                                   net::ChildFDs{{-1, "r"}})),
            kInvalid);
  EXPECT_EQ(code(net::spawnProcess(reactor(), p, "/bin/true", {"true"}, std::nullopt, "",
                                   net::ChildFDs{{0, 987654}})),
            kInvalid);
  EXPECT_THROW(net::ChildFD("x"), std::invalid_argument);
  EXPECT_TRUE(p->events.empty());
}

TEST_P(ProcessTest, WriteToChildNeedsAWritePipe) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/cat", {"cat"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THROW((*t)->writeToChild(1, "x"), std::invalid_argument);
  EXPECT_THROW((*t)->writeToChild(7, "x"), std::invalid_argument);
  (*t)->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
}

// childFDs as in Twisted: extra pipes ("r" on fd 3), a descriptor of ours
// (an int), and nothing else open in the child.
TEST_P(ProcessTest, ChildFDsMapping) {
  int ours[2];
  ASSERT_EQ(::pipe2(ours, O_CLOEXEC), 0);
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(
      reactor(), p, "/bin/sh",
      {"sh", "-c",
       "echo three >&3; echo four >&4; "
       "for f in 0 2 5 6 7; do [ -e /proc/$$/fd/$f ] && echo \"$f open\"; done; exit 0"},
      std::nullopt, "", net::ChildFDs{{1, "r"}, {3, "r"}, {4, ours[1]}});
  ::close(ours[1]);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_TRUE(p->ended->check<ProcessDone>()) << p->ended->getErrorMessage();
  EXPECT_EQ(p->received[3], "three\n");
  EXPECT_EQ(p->out(), "");  // 0 and 2 were not mapped: closed
  char buf[16] = {};
  EXPECT_EQ(::read(ours[0], buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf), "four\n");
  ::close(ours[0]);
}

// env and path: an explicit environment is all the child sees; without one
// it inherits ours.
TEST_P(ProcessTest, EnvironmentAndWorkingDirectory) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh",
                             {"sh", "-c", "echo \"$A|$TORSION_INHERITED\"; pwd"},
                             net::Environment{{"A", "b"}}, "/");
  ASSERT_TRUE(t.ok()) << t.status();
  ::setenv("TORSION_INHERITED", "yes", 1);
  auto q = std::make_shared<Recorder>();
  auto u = net::spawnProcess(reactor(), q, "sh", {"sh", "-c", "echo $TORSION_INHERITED"});
  ::unsetenv("TORSION_INHERITED");
  ASSERT_TRUE(u.ok()) << u.status();
  ASSERT_TRUE(iterateUntil([&] { return p->ended && q->ended; }));
  EXPECT_EQ(p->out(), "b|\n/\n");
  EXPECT_EQ(q->out(), "yes\n");
}

// Backpressure as on TCP: a streaming producer writing to a slow child is
// paused past the high-water mark and resumed once the pipe drained.
TEST_P(ProcessTest, StdinProducerIsPausedAndResumed) {
  struct Producer : net::Producer {
    int paused = 0;
    int resumed = 0;
    void pauseProducing() override { ++paused; }
    void resumeProducing() override { ++resumed; }
    void stopProducing() override {}
  } producer;
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh",
                             {"sh", "-c", "sleep 0.2; cat >/dev/null"});
  ASSERT_TRUE(t.ok()) << t.status();
  (*t)->registerProducer(&producer, /*streaming=*/true);
  (*t)->write(std::string(1024 * 1024, 'x'));
  EXPECT_EQ(producer.paused, 1);
  EXPECT_GT((*t)->writeBufferSize(), net::WriteBufferLimits{}.highWater);
  ASSERT_TRUE(iterateUntil([&] { return producer.resumed > 0; }));
  EXPECT_LE((*t)->writeBufferSize(), net::WriteBufferLimits{}.lowWater);
  (*t)->unregisterProducer();
  (*t)->closeStdin();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_TRUE(p->ended->check<ProcessDone>());
}

// A child whose stdin never drains cannot make us buffer without bound.
TEST_P(ProcessTest, HardLimitClosesStdin) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sleep", {"sleep", "10"});
  ASSERT_TRUE(t.ok()) << t.status();
  (*t)->setWriteBufferLimits(
      {.highWater = 1024, .lowWater = 512, .hardLimit = 200 * 1024});
  (*t)->write(std::string(100 * 1024, 'x'));
  (*t)->write(std::string(200 * 1024, 'x'));
  ASSERT_TRUE(iterateUntil([&] { return p->indexOf("childConnectionLost 0") >= 0; }));
  int warnings = 0;
  for (const log::Event& e : log().events()) {
    if (e.message.find("hard limit") != std::string::npos) ++warnings;
  }
  EXPECT_EQ(warnings, 1);
  (*t)->signalProcess("KILL");
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
}

// The transport as a producer: paused, it reads nothing from the child.
TEST_P(ProcessTest, PauseProducingStopsReading) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh", {"sh", "-c", "echo hi"});
  ASSERT_TRUE(t.ok()) << t.status();
  (*t)->pauseProducing();
  ASSERT_TRUE(iterateUntil([&] { return p->exited.has_value(); }));
  for (int i = 0; i < 5; ++i) reactor().iterate(Seconds(0.01));
  EXPECT_EQ(p->out(), "");
  EXPECT_FALSE(p->ended.has_value());
  (*t)->resumeProducing();
  ASSERT_TRUE(iterateUntil([&] { return p->ended.has_value(); }));
  EXPECT_EQ(p->out(), "hi\n");
}

// Reactor shutdown disconnects every descriptor (the pipes, as in
// Twisted), but reaping goes on when the reactor runs again: no lost exit.
TEST_P(ProcessTest, ReapingSurvivesReactorShutdown) {
  auto p = std::make_shared<Recorder>();
  auto t = net::spawnProcess(reactor(), p, "/bin/sh", {"sh", "-c", "sleep 0.2; exit 5"});
  ASSERT_TRUE(t.ok()) << t.status();
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_GE(p->indexOf("childConnectionLost 1"), 0);
  EXPECT_FALSE(p->ended.has_value());
  // Poll until the child was reaped, then stop.
  std::function<void()> check = [&] {
    if (p->ended) {
      reactor().stop();
    } else {
      reactor().callLater(0.01s, [&] { check(); });
    }
  };
  reactor().callWhenRunning([&] { check(); });
  runReactor();
  ASSERT_TRUE(p->ended.has_value());
  EXPECT_EQ(exitCodeOf(*p->ended), 5);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ProcessTest,
                         ::testing::ValuesIn(backendsAndReapers()), BackendName());

}  // namespace
}  // namespace torsion::testing
