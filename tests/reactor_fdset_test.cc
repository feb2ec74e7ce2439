// Readers, writers and the dispatch policy on every backend
// (AllBackends/ReactorFDSetTest.*). Ported from Twisted's
// src/twisted/internet/test/test_fdset.py (ReactorFDSetTestsBuilder),
// citing each test; the rest pin down the policy in core/fd_dispatch.h.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "gtest/gtest.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

// An fd pair closed on destruction: a connected socketpair or a pipe.
struct FdPair {
  int a = -1;
  int b = -1;
  static FdPair socketPair() {
    FdPair p;
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) {
      ADD_FAILURE() << "socketpair: " << errno;
    }
    p.a = fds[0];
    p.b = fds[1];
    return p;
  }
  static FdPair pipe() {  // a = read end, b = write end
    FdPair p;
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK) != 0) ADD_FAILURE() << "pipe2: " << errno;
    p.a = fds[0];
    p.b = fds[1];
    return p;
  }
  void closeA() {
    if (a >= 0) ::close(a);
    a = -1;
  }
  void closeB() {
    if (b >= 0) ::close(b);
    b = -1;
  }
  FdPair() = default;
  FdPair(FdPair&& o) noexcept : a(std::exchange(o.a, -1)), b(std::exchange(o.b, -1)) {}
  FdPair& operator=(FdPair&&) = delete;
  ~FdPair() {
    closeA();
    closeB();
  }
};

void writeByte(int fd, char c = 'x') { ASSERT_EQ(::write(fd, &c, 1), 1); }

// A descriptor whose behaviour each test supplies.
class TestDescriptor : public FileDescriptor {
 public:
  explicit TestDescriptor(int fd) : fd_(fd) {}
  int fileno() const override {
    ++filenoCalls;
    if (filenoThrows) throw std::runtime_error("fileno: socket is closed");
    return fd_;
  }
  LostReason doRead() override {
    ++reads;
    return onRead ? onRead() : nullptr;
  }
  LostReason doWrite() override {
    ++writes;
    return onWrite ? onWrite() : nullptr;
  }
  void connectionLost(const LostReason& why) override {
    ++lost;
    reason = why;
    if (onLost) onLost();
  }
  bool halfCloseable() const override { return halfClose; }
  void readConnectionLost(const LostReason& why) override {
    ++readLost;
    reason = why;
  }
  std::string logPrefix() const override { return "TestDescriptor"; }

  // The exception text of `reason`, or "" if none.
  std::string reasonText() const {
    if (!reason) return "";
    try {
      std::rethrow_exception(reason);
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  template <typename E>
  bool reasonIs() const {
    try {
      std::rethrow_exception(reason);
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  int fd_;
  mutable int filenoCalls = 0;
  bool filenoThrows = false;
  bool halfClose = false;
  int reads = 0, writes = 0, lost = 0, readLost = 0;
  LostReason reason;
  std::function<LostReason()> onRead, onWrite;
  std::function<void()> onLost;
};

class ReactorFDSetTest : public ReactorTest {
 protected:
  // Reads and discards what is pending on `fd`; ConnectionDone at EOF.
  static LostReason drain(int fd) {
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return std::make_exception_ptr(ConnectionDone());
    return nullptr;
  }
};

// Mirrors test_fdset.py test_addReader: doRead runs when readable.
TEST_P(ReactorFDSetTest, AddReader) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.onRead = [&] {
    reactor().removeReader(&d);
    reactor().stop();
    return drain(p.a);
  };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  writeByte(p.b);
  runReactor();
  EXPECT_EQ(d.reads, 1);
}

// Mirrors test_fdset.py test_addWriter: doWrite runs when writable.
TEST_P(ReactorFDSetTest, AddWriter) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.onWrite = [&]() -> LostReason {
    reactor().removeWriter(&d);
    reactor().stop();
    return nullptr;
  };
  ASSERT_TRUE(reactor().addWriter(&d).ok());
  runReactor();
  EXPECT_EQ(d.writes, 1);
}

// Twisted FD1: readers and writers are sets.
TEST_P(ReactorFDSetTest, AddTwiceIsAddOnce) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  ASSERT_TRUE(reactor().addReader(&d).ok());
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_EQ(reactor().getReaders().size(), 1u);
  reactor().removeReader(&d);
  EXPECT_TRUE(reactor().getReaders().empty());
}

// Mirrors test_fdset.py test_getReaders / test_getWriters.
TEST_P(ReactorFDSetTest, GetReadersAndWriters) {
  FdPair p = FdPair::socketPair();
  TestDescriptor r(p.a), w(p.b);
  ASSERT_TRUE(reactor().addReader(&r).ok());
  ASSERT_TRUE(reactor().addWriter(&w).ok());
  EXPECT_EQ(reactor().getReaders(), std::vector<FileDescriptor*>{&r});
  EXPECT_EQ(reactor().getWriters(), std::vector<FileDescriptor*>{&w});
  reactor().removeReader(&r);
  reactor().removeWriter(&w);
  EXPECT_TRUE(reactor().getReaders().empty());
  EXPECT_TRUE(reactor().getWriters().empty());
}

// Mirrors test_fdset.py test_removeReader: no doRead after removal, even
// with input pending.
TEST_P(ReactorFDSetTest, RemoveReader) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  ASSERT_TRUE(reactor().addReader(&d).ok());
  reactor().removeReader(&d);
  reactor().removeReader(&d);  // unregistered: a no-op
  writeByte(p.b);
  reactor().callLater(0s, [&] { reactor().callLater(0s, [&] { reactor().stop(); }); });
  runReactor();
  EXPECT_EQ(d.reads, 0);
}

// Mirrors test_fdset.py test_removeWriter.
TEST_P(ReactorFDSetTest, RemoveWriter) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  ASSERT_TRUE(reactor().addWriter(&d).ok());
  reactor().removeWriter(&d);
  reactor().callLater(0s, [&] { reactor().callLater(0s, [&] { reactor().stop(); }); });
  runReactor();
  EXPECT_EQ(d.writes, 0);
}

// Mirrors test_fdset.py test_removeAll: returns each descriptor once and
// nothing is dispatched afterwards.
TEST_P(ReactorFDSetTest, RemoveAll) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  ASSERT_TRUE(reactor().addReader(&d).ok());
  ASSERT_TRUE(reactor().addWriter(&d).ok());
  writeByte(p.b);
  std::vector<FileDescriptor*> removed = reactor().removeAll();
  reactor().callLater(0s, [&] { reactor().callLater(0s, [&] { reactor().stop(); }); });
  runReactor();
  EXPECT_EQ(removed, std::vector<FileDescriptor*>{&d});
  EXPECT_EQ(d.reads + d.writes, 0);
}

// Mirrors test_fdset.py test_removedFromReactor: fileno() is not called
// once the descriptor was removed.
TEST_P(ReactorFDSetTest, RemovedFromReactor) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.onRead = [&] {
    reactor().removeReader(&d);
    d.filenoCalls = 0;
    reactor().stop();
    return drain(p.a);
  };
  reactor().callWhenRunning([&] {
    ASSERT_TRUE(reactor().addReader(&d).ok());
    writeByte(p.b);
  });
  runReactor();
  EXPECT_EQ(d.reads, 1);
  EXPECT_EQ(d.filenoCalls, 0);
}

// Mirrors test_fdset.py test_negativeOneFileDescriptor: fileno() == -1
// disconnects the descriptor.
TEST_P(ReactorFDSetTest, NegativeOneFileDescriptor) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  std::string received;
  d.onRead = [&]() -> LostReason {
    d.fd_ = -1;
    char c;
    if (::read(p.a, &c, 1) == 1) received += c;
    writeByte(p.b, 'y');
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  writeByte(p.b, 'x');
  runReactor();
  EXPECT_EQ(received, "x");
  EXPECT_EQ(d.lost, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionLost>()) << d.reasonText();
  EXPECT_NE(d.reasonText().find("went away"), std::string::npos);
}

// Twisted FD6 (test_fdset.py test_lostFileDescriptor, by exception): a
// fileno() that throws counts as lost; the exception is logged.
TEST_P(ReactorFDSetTest, LostFileDescriptor) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.onRead = [&]() -> LostReason {
    ADD_FAILURE() << "doRead should never be called";
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  d.filenoThrows = true;
  writeByte(p.b);
  runReactor();
  EXPECT_EQ(d.lost, 1);
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

// Mirrors test_fdset.py test_connectionLostOnShutdown (and test_core.py
// test_shutdownDisconnectsCleanly: one connectionLost that throws is
// logged, the others still run).
TEST_P(ReactorFDSetTest, ConnectionLostOnShutdown) {
  FdPair p = FdPair::socketPair();
  TestDescriptor r(p.a), w(p.b);
  r.onLost = [] { throw std::runtime_error("connectionLost failed"); };
  ASSERT_TRUE(reactor().addReader(&r).ok());
  ASSERT_TRUE(reactor().addWriter(&w).ok());
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(r.lost, 1);
  EXPECT_EQ(w.lost, 1);
  EXPECT_TRUE(w.reasonIs<ConnectionLost>());
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

// Twisted FD5: a reason returned by doRead disconnects: both registrations
// go and connectionLost gets that reason.
TEST_P(ReactorFDSetTest, DoReadReturningReasonDisconnects) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.onRead = [&] { return drain(p.a); };
  d.onWrite = [&]() -> LostReason {
    ADD_FAILURE() << "doWrite after doRead disconnected";
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  p.closeB();  // EOF: drain returns ConnectionDone
  runReactor();
  EXPECT_EQ(d.lost, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionDone>()) << d.reasonText();
  EXPECT_TRUE(reactor().getReaders().empty());
}

// Twisted FD5: an exception from doWrite is logged and disconnects.
TEST_P(ReactorFDSetTest, DoWriteExceptionDisconnects) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.onWrite = []() -> LostReason { throw std::runtime_error("write failed"); };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addWriter(&d).ok());
  runReactor();
  EXPECT_EQ(d.lost, 1);
  EXPECT_EQ(d.reasonText(), "write failed");
  EXPECT_TRUE(reactor().getWriters().empty());
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

// Twisted FD5: a half-closeable descriptor whose doRead returns
// ConnectionDone loses only its reading half.
TEST_P(ReactorFDSetTest, HalfCloseableReadConnectionLost) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  d.halfClose = true;
  d.onRead = [&] { return drain(p.a); };
  int writesAfter = 0;
  d.onWrite = [&]() -> LostReason {
    if (d.readLost > 0 && ++writesAfter == 1) {
      reactor().removeWriter(&d);
      reactor().stop();
    }
    return nullptr;
  };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  ::shutdown(p.b, SHUT_WR);
  reactor().callLater(0.05s, [&] { ASSERT_TRUE(reactor().addWriter(&d).ok()); });
  runReactor();
  EXPECT_EQ(d.readLost, 1);
  EXPECT_EQ(d.lost, 0);
  EXPECT_EQ(writesAfter, 1);
}

// Twisted FD7: the peer hanging up on a pipe: a reader sees its data, then
// a clean ConnectionDone.
TEST_P(ReactorFDSetTest, HangupAfterDataIsConnectionDone) {
  FdPair p = FdPair::pipe();
  TestDescriptor d(p.a);
  std::string received;
  d.onRead = [&]() -> LostReason {
    char buf[16];
    ssize_t n = ::read(p.a, buf, sizeof buf);
    if (n > 0) received.append(buf, static_cast<std::size_t>(n));
    if (n == 0) return std::make_exception_ptr(ConnectionDone());
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  writeByte(p.b, 'a');
  writeByte(p.b, 'b');
  p.closeB();
  runReactor();
  EXPECT_EQ(received, "ab");
  EXPECT_EQ(d.lost, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionDone>()) << d.reasonText();
}

// Twisted FD7: a writer whose reader went away loses its connection.
TEST_P(ReactorFDSetTest, PipeWriterLosesReader) {
  FdPair p = FdPair::pipe();
  TestDescriptor w(p.b);
  w.onWrite = [&]() -> LostReason {
    char c = 'x';
    if (::write(p.b, &c, 1) < 0 && errno == EPIPE) {
      return std::make_exception_ptr(ConnectionLost());
    }
    return nullptr;
  };
  w.onLost = [&] { reactor().stop(); };
  ::signal(SIGPIPE, SIG_IGN);
  ASSERT_TRUE(reactor().addWriter(&w).ok());
  p.closeA();
  runReactor();
  EXPECT_EQ(w.lost, 1);
  EXPECT_TRUE(w.reasonIs<ConnectionLost>()) << w.reasonText();
}

// A descriptor removed by another's doRead in the same pass is not called
// again in that pass (and a writer removed by its own doRead is skipped).
TEST_P(ReactorFDSetTest, RemovalDuringDispatch) {
  FdPair p1 = FdPair::socketPair();
  FdPair p2 = FdPair::socketPair();
  TestDescriptor d1(p1.a), d2(p2.a);
  auto removeOther = [&](TestDescriptor& self, TestDescriptor& other, int fd) {
    return [&, fd]() -> LostReason {
      reactor().removeReader(&other);
      reactor().removeWriter(&other);
      reactor().removeReader(&self);
      reactor().removeWriter(&self);  // its doWrite must not run now
      reactor().callLater(0s, [&] { reactor().stop(); });
      return drain(fd);
    };
  };
  d1.onRead = removeOther(d1, d2, p1.a);
  d2.onRead = removeOther(d2, d1, p2.a);
  ASSERT_TRUE(reactor().addReader(&d1).ok());
  ASSERT_TRUE(reactor().addReader(&d2).ok());
  ASSERT_TRUE(reactor().addWriter(&d1).ok());
  ASSERT_TRUE(reactor().addWriter(&d2).ok());
  writeByte(p1.b);
  writeByte(p2.b);
  // Both are readable in the same poll; whichever runs first removes the
  // other, so exactly one doRead happens.
  runReactor();
  EXPECT_EQ(d1.reads + d2.reads, 1);
  EXPECT_EQ(d1.writes + d2.writes, 0);
  EXPECT_EQ(d1.lost + d2.lost, 0);
}

// A descriptor may delete itself in connectionLost: the reactor does not
// touch it afterwards (ASan checks this).
TEST_P(ReactorFDSetTest, DescriptorDeletedInConnectionLost) {
  FdPair p = FdPair::socketPair();
  auto* d = new TestDescriptor(p.a);
  d->onRead = [&] { return drain(p.a); };
  d->onLost = [&, d] {
    reactor().callLater(0s, [&] { reactor().stop(); });
    delete d;
  };
  ASSERT_TRUE(reactor().addReader(d).ok());
  ASSERT_TRUE(reactor().addWriter(d).ok());
  p.closeB();
  runReactor();
  EXPECT_TRUE(reactor().getReaders().empty());
}

// An fd closed while registered. poll and select report it (POLLNVAL,
// EBADF) and the descriptor gets ConnectionLost("file descriptor went
// away"); epoll forgets closed fds silently (Twisted skips its
// test_lostFileDescriptor there for that reason). Either way the loop keeps
// working, logs no error, and removing the descriptor afterwards is clean.
TEST_P(ReactorFDSetTest, FdClosedWhileRegistered) {
  FdPair p = FdPair::socketPair();
  TestDescriptor d(p.a);
  ASSERT_TRUE(reactor().addReader(&d).ok());
  p.closeA();
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks < 5) {
      reactor().callLater(0.01s, tick);
    } else {
      reactor().stop();
    }
  };
  reactor().callLater(0s, tick);
  runReactor();
  EXPECT_EQ(ticks, 5);
  EXPECT_EQ(d.reads, 0);
  if (d.lost > 0) {
    EXPECT_EQ(d.lost, 1);
    EXPECT_TRUE(d.reasonIs<ConnectionLost>()) << d.reasonText();
    EXPECT_TRUE(reactor().getReaders().empty());
  }
  reactor().removeReader(&d);
  EXPECT_TRUE(reactor().getReaders().empty());
  log().events();  // informational messages are fine
}

// Bad input is a clear Status, never a crash.
TEST_P(ReactorFDSetTest, BadDescriptorsAreClearErrors) {
  TestDescriptor closed(-1);
  absl::Status s = reactor().addReader(&closed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(reactor().addWriter(nullptr).code(), absl::StatusCode::kInvalidArgument);
  FdPair p = FdPair::socketPair();
  TestDescriptor first(p.a), second(p.a);
  ASSERT_TRUE(reactor().addReader(&first).ok());
  s = reactor().addReader(&second);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  reactor().removeReader(&first);
  EXPECT_TRUE(reactor().getReaders().empty());
}

// select's FD_SETSIZE (the backend's maxFd feature): descriptors at or above
// it are refused with a Status naming the limit; below it they work.
TEST_P(ReactorFDSetTest, MaxFdLimit) {
  const int maxFd = reactor().backend().features().maxFd;
  if (maxFd < 0) GTEST_SKIP() << "backend has no descriptor limit";
  struct rlimit lim = {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur <= static_cast<rlim_t>(maxFd)) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, static_cast<rlim_t>(maxFd) + 16);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  FdPair p = FdPair::socketPair();
  int high = ::fcntl(p.a, F_DUPFD, maxFd);
  if (high < 0) GTEST_SKIP() << "cannot open an fd >= " << maxFd;
  TestDescriptor big(high);
  absl::Status s = reactor().addReader(&big);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find(std::to_string(maxFd)), std::string::npos) << s;
  EXPECT_TRUE(reactor().getReaders().empty());
  ::close(high);
  TestDescriptor small(p.a);
  EXPECT_TRUE(reactor().addReader(&small).ok());
  reactor().removeReader(&small);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorFDSetTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
