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
#include "testing/descriptor_pair.h"
#include "testing/test_descriptor.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

class ReactorFDSetTest : public ReactorTest {};

// Mirrors test_fdset.py test_addReader: doRead runs when readable.
TEST_P(ReactorFDSetTest, AddReader) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  d.onRead = [&] {
    reactor().removeReader(&d);
    reactor().stop();
    return TestDescriptor::drain(p.a.get());
  };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_TRUE(writeByte(p.b.get()));
  runReactor();
  EXPECT_EQ(d.reads, 1);
}

// Mirrors test_fdset.py test_addWriter: doWrite runs when writable.
TEST_P(ReactorFDSetTest, AddWriter) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
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
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  ASSERT_TRUE(reactor().addReader(&d).ok());
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_EQ(reactor().getReaders().size(), 1u);
  reactor().removeReader(&d);
  EXPECT_TRUE(reactor().getReaders().empty());
}

// Mirrors test_fdset.py test_getReaders / test_getWriters.
TEST_P(ReactorFDSetTest, GetReadersAndWriters) {
  SocketPair p = SocketPair::make();
  TestDescriptor r(p.a.get()), w(p.b.get());
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
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  ASSERT_TRUE(reactor().addReader(&d).ok());
  reactor().removeReader(&d);
  reactor().removeReader(&d);  // unregistered: a no-op
  EXPECT_TRUE(writeByte(p.b.get()));
  reactor().callLater(0s, [&] { reactor().callLater(0s, [&] { reactor().stop(); }); });
  runReactor();
  EXPECT_EQ(d.reads, 0);
}

// Mirrors test_fdset.py test_removeWriter.
TEST_P(ReactorFDSetTest, RemoveWriter) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  ASSERT_TRUE(reactor().addWriter(&d).ok());
  reactor().removeWriter(&d);
  reactor().callLater(0s, [&] { reactor().callLater(0s, [&] { reactor().stop(); }); });
  runReactor();
  EXPECT_EQ(d.writes, 0);
}

// Mirrors test_fdset.py test_removeAll: returns each descriptor once and
// nothing is dispatched afterwards.
TEST_P(ReactorFDSetTest, RemoveAll) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  ASSERT_TRUE(reactor().addReader(&d).ok());
  ASSERT_TRUE(reactor().addWriter(&d).ok());
  EXPECT_TRUE(writeByte(p.b.get()));
  std::vector<FileDescriptor*> removed = reactor().removeAll();
  reactor().callLater(0s, [&] { reactor().callLater(0s, [&] { reactor().stop(); }); });
  runReactor();
  EXPECT_EQ(removed, std::vector<FileDescriptor*>{&d});
  EXPECT_EQ(d.reads + d.writes, 0);
}

// Mirrors test_fdset.py test_removedFromReactor: fileno() is not called
// once the descriptor was removed.
TEST_P(ReactorFDSetTest, RemovedFromReactor) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  d.onRead = [&] {
    reactor().removeReader(&d);
    d.filenoCalls = 0;
    reactor().stop();
    return TestDescriptor::drain(p.a.get());
  };
  reactor().callWhenRunning([&] {
    ASSERT_TRUE(reactor().addReader(&d).ok());
    EXPECT_TRUE(writeByte(p.b.get()));
  });
  runReactor();
  EXPECT_EQ(d.reads, 1);
  EXPECT_EQ(d.filenoCalls, 0);
}

// Mirrors test_fdset.py test_negativeOneFileDescriptor: fileno() == -1
// disconnects the descriptor.
TEST_P(ReactorFDSetTest, NegativeOneFileDescriptor) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  std::string received;
  d.onRead = [&]() -> LostReason {
    d.fd_ = -1;
    char c;
    if (::read(p.a.get(), &c, 1) == 1) received += c;
    EXPECT_TRUE(writeByte(p.b.get(), 'y'));
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_TRUE(writeByte(p.b.get(), 'x'));
  runReactor();
  EXPECT_EQ(received, "x");
  EXPECT_EQ(d.lost, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionLost>()) << d.reasonText();
  EXPECT_NE(d.reasonText().find("went away"), std::string::npos);
}

// Twisted FD6 (test_fdset.py test_lostFileDescriptor, by exception): a
// fileno() that throws counts as lost; the exception is logged.
TEST_P(ReactorFDSetTest, LostFileDescriptor) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  d.onRead = [&]() -> LostReason {
    ADD_FAILURE() << "doRead should never be called";
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  d.filenoThrows = true;
  EXPECT_TRUE(writeByte(p.b.get()));
  runReactor();
  EXPECT_EQ(d.lost, 1);
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

// Mirrors test_fdset.py test_connectionLostOnShutdown (and test_core.py
// test_shutdownDisconnectsCleanly: one connectionLost that throws is
// logged, the others still run).
TEST_P(ReactorFDSetTest, ConnectionLostOnShutdown) {
  SocketPair p = SocketPair::make();
  TestDescriptor r(p.a.get()), w(p.b.get());
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
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  d.onRead = [&] { return TestDescriptor::drain(p.a.get()); };
  d.onWrite = [&]() -> LostReason {
    ADD_FAILURE() << "doWrite after doRead disconnected";
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  p.b.reset();  // EOF: drain returns ConnectionDone
  runReactor();
  EXPECT_EQ(d.lost, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionDone>()) << d.reasonText();
  EXPECT_TRUE(reactor().getReaders().empty());
}

// Twisted FD5: an exception from doWrite is logged and disconnects.
TEST_P(ReactorFDSetTest, DoWriteExceptionDisconnects) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
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
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  d.halfClose = true;
  d.onRead = [&] { return TestDescriptor::drain(p.a.get()); };
  int writesAfter = 0;
  d.onWrite = [&]() -> LostReason {
    if (d.readLost > 0 && ++writesAfter == 1) {
      reactor().removeWriter(&d);
      reactor().stop();
    }
    return nullptr;
  };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  ::shutdown(p.b.get(), SHUT_WR);
  reactor().callLater(0.05s, [&] { ASSERT_TRUE(reactor().addWriter(&d).ok()); });
  runReactor();
  EXPECT_EQ(d.readLost, 1);
  EXPECT_EQ(d.lost, 0);
  EXPECT_EQ(writesAfter, 1);
}

// Twisted FD7: the peer hanging up on a pipe: a reader sees its data, then
// a clean ConnectionDone.
TEST_P(ReactorFDSetTest, HangupAfterDataIsConnectionDone) {
  Pipe p = Pipe::make();
  TestDescriptor d(p.readEnd.get());
  std::string received;
  d.onRead = [&]() -> LostReason {
    char buf[16];
    ssize_t n = ::read(p.readEnd.get(), buf, sizeof buf);
    if (n > 0) received.append(buf, static_cast<std::size_t>(n));
    if (n == 0) return std::make_exception_ptr(ConnectionDone());
    return nullptr;
  };
  d.onLost = [&] { reactor().stop(); };
  ASSERT_TRUE(reactor().addReader(&d).ok());
  EXPECT_TRUE(writeByte(p.writeEnd.get(), 'a'));
  EXPECT_TRUE(writeByte(p.writeEnd.get(), 'b'));
  p.writeEnd.reset();
  runReactor();
  EXPECT_EQ(received, "ab");
  EXPECT_EQ(d.lost, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionDone>()) << d.reasonText();
}

// Twisted FD7: a writer whose reader went away loses its connection.
TEST_P(ReactorFDSetTest, PipeWriterLosesReader) {
  Pipe p = Pipe::make();
  TestDescriptor w(p.writeEnd.get());
  w.onWrite = [&]() -> LostReason {
    char c = 'x';
    if (::write(p.writeEnd.get(), &c, 1) < 0 && errno == EPIPE) {
      return std::make_exception_ptr(ConnectionLost());
    }
    return nullptr;
  };
  w.onLost = [&] { reactor().stop(); };
  ::signal(SIGPIPE, SIG_IGN);
  ASSERT_TRUE(reactor().addWriter(&w).ok());
  p.readEnd.reset();
  runReactor();
  EXPECT_EQ(w.lost, 1);
  EXPECT_TRUE(w.reasonIs<ConnectionLost>()) << w.reasonText();
}

// A descriptor removed by another's doRead in the same pass is not called
// again in that pass (and a writer removed by its own doRead is skipped).
TEST_P(ReactorFDSetTest, RemovalDuringDispatch) {
  SocketPair p1 = SocketPair::make();
  SocketPair p2 = SocketPair::make();
  TestDescriptor d1(p1.a.get()), d2(p2.a.get());
  auto removeOther = [&](TestDescriptor& self, TestDescriptor& other, int fd) {
    return [&, fd]() -> LostReason {
      reactor().removeReader(&other);
      reactor().removeWriter(&other);
      reactor().removeReader(&self);
      reactor().removeWriter(&self);  // its doWrite must not run now
      reactor().callLater(0s, [&] { reactor().stop(); });
      return TestDescriptor::drain(fd);
    };
  };
  d1.onRead = removeOther(d1, d2, p1.a.get());
  d2.onRead = removeOther(d2, d1, p2.a.get());
  ASSERT_TRUE(reactor().addReader(&d1).ok());
  ASSERT_TRUE(reactor().addReader(&d2).ok());
  ASSERT_TRUE(reactor().addWriter(&d1).ok());
  ASSERT_TRUE(reactor().addWriter(&d2).ok());
  EXPECT_TRUE(writeByte(p1.b.get()));
  EXPECT_TRUE(writeByte(p2.b.get()));
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
  SocketPair p = SocketPair::make();
  auto* d = new TestDescriptor(p.a.get());
  d->onRead = [&] { return TestDescriptor::drain(p.a.get()); };
  d->onLost = [&, d] {
    reactor().callLater(0s, [&] { reactor().stop(); });
    delete d;
  };
  ASSERT_TRUE(reactor().addReader(d).ok());
  ASSERT_TRUE(reactor().addWriter(d).ok());
  p.b.reset();
  runReactor();
  EXPECT_TRUE(reactor().getReaders().empty());
}

// An fd closed while registered. poll and select report it (POLLNVAL,
// EBADF) and the descriptor gets ConnectionLost("file descriptor went
// away"); epoll forgets closed fds silently (Twisted skips its
// test_lostFileDescriptor there for that reason). Either way the loop keeps
// working, logs no error, and removing the descriptor afterwards is clean.
TEST_P(ReactorFDSetTest, FdClosedWhileRegistered) {
  SocketPair p = SocketPair::make();
  TestDescriptor d(p.a.get());
  ASSERT_TRUE(reactor().addReader(&d).ok());
  p.a.reset();
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
  SocketPair p = SocketPair::make();
  TestDescriptor first(p.a.get()), second(p.a.get());
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
  SocketPair p = SocketPair::make();
  int high = ::fcntl(p.a.get(), F_DUPFD, maxFd);
  if (high < 0) GTEST_SKIP() << "cannot open an fd >= " << maxFd;
  TestDescriptor big(high);
  absl::Status s = reactor().addReader(&big);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find(std::to_string(maxFd)), std::string::npos) << s;
  EXPECT_TRUE(reactor().getReaders().empty());
  ::close(high);
  TestDescriptor small(p.a.get());
  EXPECT_TRUE(reactor().addReader(&small).ok());
  reactor().removeReader(&small);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorFDSetTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
