// kqueue(2) as FreeBSD's manual page describes it, checked through
// <sys/event.h> and POSIX only, so that this file builds and runs unchanged
// on FreeBSD or macOS against the real kernel. On Linux it runs against the
// test-only emulation in backends/kqueue_shim/, and is what tells us whether
// that emulation means anything: every case cites the rule it checks
// (man 2 kqueue, or docs/kqueue.md for the socket-level details).
//
// Run it on a real BSD whenever one is available: a misunderstanding shared
// by the shim and this test is invisible on Linux.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "backends/kevent_set.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"

namespace {

using Clock = std::chrono::steady_clock;

using torsion::evSet;
using torsion::testing::connectTo;
using torsion::testing::loopbackListener;
using torsion::testing::OwnedFd;
using torsion::testing::Pipe;
using torsion::testing::SocketPair;

ssize_t writeN(int fd, size_t n) {
  std::vector<char> buf(n, 'x');
  return ::write(fd, buf.data(), n);
}

class KqueueShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    kq_ = OwnedFd(kqueue());
    ASSERT_GE(kq_.get(), 0) << strerror(errno);
  }

  // Applies one change; returns 0 or the errno an EV_RECEIPT entry carried.
  int change(uintptr_t ident, short filter, unsigned short flags, unsigned int fflags = 0,
             int64_t data = 0, void* udata = nullptr) {
    struct kevent c, r;
    evSet(&c, ident, filter, flags | EV_RECEIPT, fflags, data, udata);
    const timespec zero{0, 0};
    const int n = kevent(kq_.get(), &c, 1, &r, 1, &zero);
    if (n < 0) return errno;
    EXPECT_EQ(n, 1);
    EXPECT_NE(r.flags & EV_ERROR, 0);
    return static_cast<int>(r.data);
  }

  void add(uintptr_t ident, short filter, unsigned short flags = 0,
           unsigned int fflags = 0, int64_t data = 0, void* udata = nullptr) {
    ASSERT_EQ(change(ident, filter, EV_ADD | flags, fflags, data, udata), 0);
  }

  // Collects events, waiting at most `ms` (0: poll; -1: forever).
  std::vector<struct kevent> wait(int ms = 0, int room = 16) {
    std::vector<struct kevent> out(static_cast<size_t>(room));
    timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000};
    const int n = kevent(kq_.get(), nullptr, 0, out.data(), room, ms < 0 ? nullptr : &ts);
    EXPECT_GE(n, 0) << strerror(errno);
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
  }

  static const struct kevent* find(const std::vector<struct kevent>& evs, uintptr_t ident,
                                   short filter) {
    for (const struct kevent& e : evs) {
      if (e.ident == ident && e.filter == filter) return &e;
    }
    return nullptr;
  }

  OwnedFd kq_;
};

// "A kevent is identified by the (ident, filter) pair; there may only be one
// unique kevent per kqueue." "Re-adding an existing event will modify the
// parameters of the original event, and not result in a duplicate entry."
TEST_F(KqueueShimTest, KnotesAreKeyedByIdentAndFilter) {
  SocketPair p = SocketPair::make();
  ASSERT_EQ(writeN(p.b.get(), 1), 1);
  add(p.a.get(), EVFILT_READ);
  add(p.a.get(), EVFILT_READ);
  add(p.a.get(), EVFILT_WRITE);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 2u) << "READ and WRITE are two knotes; re-adding READ is not";
  EXPECT_NE(find(evs, p.a.get(), EVFILT_READ), nullptr);
  EXPECT_NE(find(evs, p.a.get(), EVFILT_WRITE), nullptr);
  ASSERT_EQ(change(p.a.get(), EVFILT_WRITE, EV_DELETE), 0);
  evs = wait();
  ASSERT_EQ(evs.size(), 1u) << "deleting WRITE leaves READ alone";
  EXPECT_EQ(evs[0].filter, EVFILT_READ);
}

// Level-triggered by default, and "the filter is also run when the user
// attempts to retrieve the kevent": a condition that went away is not
// returned.
TEST_F(KqueueShimTest, LevelTriggeredAndRecheckedAtRetrieval) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_READ);
  EXPECT_TRUE(wait().empty());
  ASSERT_EQ(writeN(p.b.get(), 4), 4);
  EXPECT_EQ(wait().size(), 1u);
  EXPECT_EQ(wait().size(), 1u) << "still readable: reported again";
  char buf[8];
  ASSERT_EQ(::read(p.a.get(), buf, sizeof buf), 4);
  EXPECT_TRUE(wait().empty()) << "the data is gone: the filter must say no";
}

// "Multiple events which trigger the filter ... aggregate the events into a
// single struct kevent"; READ's data is the bytes available.
TEST_F(KqueueShimTest, EventsAggregateAndDataCountsBytes) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_READ);
  ASSERT_EQ(writeN(p.b.get(), 3), 3);
  ASSERT_EQ(writeN(p.b.get(), 2), 2);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, 5);
  EXPECT_EQ(evs[0].flags & EV_EOF, 0);
}

TEST_F(KqueueShimTest, PipeReadDataIsBytesAvailable) {
  Pipe p = Pipe::make();
  add(p.readEnd.get(), EVFILT_READ);
  ASSERT_EQ(writeN(p.writeEnd.get(), 7), 7);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, 7);
}

// "Sockets which have previously been passed to listen() return when there
// is an incoming connection pending."
TEST_F(KqueueShimTest, ListeningSocketReportsPendingConnections) {
  sockaddr_in addr{};
  OwnedFd l = loopbackListener(&addr);
  add(l.get(), EVFILT_READ);
  EXPECT_TRUE(wait().empty());
  OwnedFd c1 = connectTo(addr, false);
  OwnedFd c2 = connectTo(addr, false);
  // The server side of a handshake may complete a moment after connect()
  // returns: wait until both are queued.
  std::vector<struct kevent> evs;
  for (int i = 0; i < 100 && (evs.empty() || evs[0].data < 2); ++i) evs = wait(10);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, 2) << "two connections wait in accept()";
  OwnedFd s1(::accept(l.get(), nullptr, nullptr));
  OwnedFd s2(::accept(l.get(), nullptr, nullptr));
  EXPECT_TRUE(wait().empty());
}

// WRITE: "data will contain the amount of space remaining in the write
// buffer", and it stops firing when the buffer is full.
TEST_F(KqueueShimTest, WriteDataIsFreeSpaceAndStopsWhenFull) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_WRITE);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_GT(evs[0].data, 0);
  while (writeN(p.a.get(), 4096) > 0) {
  }
  EXPECT_TRUE(wait().empty()) << "full send buffer: not writable";
  char buf[65536];
  while (::read(p.b.get(), buf, sizeof buf) > 0) {
  }
  EXPECT_EQ(wait(1000).size(), 1u) << "drained: writable again";
}

// "If the read direction of the socket has shutdown, then the filter also
// sets EV_EOF ... It is possible for EOF to be returned ... while there is
// still data pending in the socket buffer."
TEST_F(KqueueShimTest, EofWithDataStillPending) {
  SocketPair p = SocketPair::makeTcp();
  add(p.a.get(), EVFILT_READ);
  ASSERT_EQ(writeN(p.b.get(), 3), 3);
  ASSERT_EQ(::shutdown(p.b.get(), SHUT_WR), 0);
  std::vector<struct kevent> evs;
  for (int i = 0; i < 100 && (evs.empty() || !(evs[0].flags & EV_EOF)); ++i) {
    evs = wait(10);
  }
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_NE(evs[0].flags & EV_EOF, 0);
  EXPECT_EQ(evs[0].data, 3);
  EXPECT_EQ(evs[0].fflags, 0u) << "a clean close carries no error";
}

// "... and returns the socket error (if any) in fflags": a reset connection
// says ECONNRESET, and the error is still there for recv() afterwards.
TEST_F(KqueueShimTest, ResetSetsEofWithErrorInFflags) {
  SocketPair p = SocketPair::makeTcp();
  add(p.a.get(), EVFILT_READ);
  linger lin{1, 0};
  ASSERT_EQ(::setsockopt(p.b.get(), SOL_SOCKET, SO_LINGER, &lin, sizeof lin), 0);
  p.b.reset();  // RST
  std::vector<struct kevent> evs = wait(1000);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_NE(evs[0].flags & EV_EOF, 0);
  EXPECT_EQ(evs[0].fflags, static_cast<unsigned>(ECONNRESET));
  char buf[4];
  errno = 0;
  EXPECT_EQ(::recv(p.a.get(), buf, sizeof buf, 0), -1) << "kqueue must not eat the error";
  EXPECT_EQ(errno, ECONNRESET);
}

// A refused connect: WRITE fires with EV_EOF and the error in fflags, and
// SO_ERROR still holds it (the reactor's connector reads it there).
TEST_F(KqueueShimTest, RefusedConnectReportsErrorAndKeepsSoError) {
  sockaddr_in addr{};
  { OwnedFd l = loopbackListener(&addr); }  // closed: nobody listens on that port now
  OwnedFd c = connectTo(addr, true);
  ASSERT_GE(c.get(), 0);
  add(c.get(), EVFILT_WRITE);
  std::vector<struct kevent> evs = wait(2000);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_NE(evs[0].flags & EV_EOF, 0);
  EXPECT_EQ(evs[0].fflags, static_cast<unsigned>(ECONNREFUSED));
  int err = 0;
  socklen_t len = sizeof err;
  ASSERT_EQ(::getsockopt(c.get(), SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, ECONNREFUSED);
}

// "The filter will set EV_EOF when the reader disconnects."
TEST_F(KqueueShimTest, WriteEofWhenPipeReaderIsGone) {
  Pipe p = Pipe::make();
  add(p.writeEnd.get(), EVFILT_WRITE);
  p.readEnd.reset();
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_NE(evs[0].flags & EV_EOF, 0);
}

// Pipes: "When the last writer disconnects, the filter will set EV_EOF."
TEST_F(KqueueShimTest, ReadEofWhenPipeWriterIsGone) {
  Pipe p = Pipe::make();
  add(p.readEnd.get(), EVFILT_READ);
  ASSERT_EQ(writeN(p.writeEnd.get(), 2), 2);
  p.writeEnd.reset();
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_NE(evs[0].flags & EV_EOF, 0);
  EXPECT_EQ(evs[0].data, 2);
}

// RETURN VALUES: a failing change becomes an EV_ERROR entry with the errno in
// data when there is room, and kevent() returns without collecting events.
TEST_F(KqueueShimTest, FailingChangesBecomeErrorEntries) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_WRITE);  // ready: would be returned by a collect
  SocketPair q = SocketPair::make();
  const int closed = q.a.get();
  q.a.reset();
  struct kevent changes[3], out[4];
  evSet(&changes[0], static_cast<uintptr_t>(closed), EVFILT_READ, EV_ADD, 0);
  evSet(&changes[1], static_cast<uintptr_t>(p.b.get()), EVFILT_READ, EV_DELETE, 0);
  evSet(&changes[2], static_cast<uintptr_t>(p.b.get()), 12345, EV_ADD, 0);
  const timespec zero{0, 0};
  ASSERT_EQ(kevent(kq_.get(), changes, 3, out, 4, &zero), 3)
      << "only the error entries, no WRITE event";
  EXPECT_EQ(out[0].flags, EV_ERROR);
  EXPECT_EQ(out[0].data, EBADF);
  EXPECT_EQ(out[0].ident, static_cast<uintptr_t>(closed));
  EXPECT_EQ(out[1].data, ENOENT);
  EXPECT_EQ(out[2].data, EINVAL);
}

// "Otherwise, -1 will be returned, and errno will be set."
TEST_F(KqueueShimTest, FailingChangeWithoutRoomFailsTheCall) {
  SocketPair p = SocketPair::make();
  struct kevent c;
  evSet(&c, static_cast<uintptr_t>(p.a.get()), EVFILT_READ, EV_DELETE, 0);
  errno = 0;
  EXPECT_EQ(kevent(kq_.get(), &c, 1, nullptr, 0, nullptr), -1);
  EXPECT_EQ(errno, ENOENT);
}

// EV_RECEIPT: "it forces EV_ERROR to always be returned. When a filter is
// successfully added the data field will be zero."
TEST_F(KqueueShimTest, ReceiptReportsSuccessWithZeroData) {
  SocketPair p = SocketPair::make();
  ASSERT_EQ(writeN(p.b.get(), 1), 1);
  struct kevent c[2], out[2];
  evSet(&c[0], static_cast<uintptr_t>(p.a.get()), EVFILT_READ, EV_ADD | EV_RECEIPT, 0);
  evSet(&c[1], static_cast<uintptr_t>(p.a.get()), EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0);
  ASSERT_EQ(kevent(kq_.get(), c, 2, out, 2, nullptr), 2) << "receipts, not events";
  for (const struct kevent& e : out) {
    EXPECT_NE(e.flags & EV_ERROR, 0);
    EXPECT_EQ(e.data, 0);
  }
  EXPECT_EQ(wait().size(), 2u) << "the knotes were added";
}

// "The same array may be used for the changelist and eventlist."
TEST_F(KqueueShimTest, ChangelistAndEventlistMayBeTheSameArray) {
  SocketPair p = SocketPair::make();
  ASSERT_EQ(writeN(p.b.get(), 1), 1);
  struct kevent evs[2];
  evSet(&evs[0], static_cast<uintptr_t>(p.a.get()), EVFILT_READ, EV_ADD, 0);
  evSet(&evs[1], static_cast<uintptr_t>(p.a.get()), EVFILT_WRITE, EV_ADD, 0);
  ASSERT_EQ(kevent(kq_.get(), evs, 2, evs, 2, nullptr), 2)
      << "changes applied before events are read";
  EXPECT_NE(evs[0].filter, evs[1].filter);
}

TEST_F(KqueueShimTest, UdataRoundTrips) {
  SocketPair p = SocketPair::make();
  int marker = 0;
  add(p.a.get(), EVFILT_WRITE, 0, 0, 0, &marker);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].udata, &marker);
}

// EV_ONESHOT: "After the user retrieves the event from the kqueue, it is
// deleted."
TEST_F(KqueueShimTest, OneshotIsDeletedAfterDelivery) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_WRITE, EV_ONESHOT);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_NE(evs[0].flags & EV_ONESHOT, 0);
  EXPECT_TRUE(wait().empty());
  EXPECT_EQ(change(p.a.get(), EVFILT_WRITE, EV_DELETE), ENOENT);
}

// EV_DISPATCH: "Disable the event source immediately after delivery";
// EV_ENABLE re-arms it.
TEST_F(KqueueShimTest, DispatchDisablesAfterDeliveryAndEnableRearms) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_WRITE, EV_DISPATCH);
  EXPECT_EQ(wait().size(), 1u);
  EXPECT_TRUE(wait().empty()) << "disabled after delivery";
  ASSERT_EQ(change(p.a.get(), EVFILT_WRITE, EV_ENABLE), 0);
  EXPECT_EQ(wait().size(), 1u);
  EXPECT_TRUE(wait().empty());
}

TEST_F(KqueueShimTest, DisableAndEnable) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_WRITE, EV_DISABLE);
  EXPECT_TRUE(wait().empty()) << "EV_ADD|EV_DISABLE adds it disabled";
  ASSERT_EQ(change(p.a.get(), EVFILT_WRITE, EV_ENABLE), 0);
  EXPECT_EQ(wait().size(), 1u);
  ASSERT_EQ(change(p.a.get(), EVFILT_WRITE, EV_DISABLE), 0);
  EXPECT_TRUE(wait().empty());
  EXPECT_EQ(change(p.b.get(), EVFILT_WRITE, EV_ENABLE), ENOENT);
}

// EV_CLEAR: "After the event is retrieved by the user, its state is reset":
// one report per new arrival, not one per call.
TEST_F(KqueueShimTest, ClearReportsEachArrivalOnce) {
  Pipe p = Pipe::make();
  add(p.readEnd.get(), EVFILT_READ, EV_CLEAR);
  ASSERT_EQ(writeN(p.writeEnd.get(), 1), 1);
  EXPECT_EQ(wait().size(), 1u);
  EXPECT_TRUE(wait().empty()) << "no new data since the last retrieval";
  ASSERT_EQ(writeN(p.writeEnd.get(), 1), 1);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u) << "new data: reported again";
  EXPECT_EQ(evs[0].data, 2);
}

// "When nevents is zero, kevent() will return immediately even if there is
// a timeout specified."
TEST_F(KqueueShimTest, ZeroNeventsReturnsImmediately) {
  const timespec five{5, 0};
  const auto start = Clock::now();
  EXPECT_EQ(kevent(kq_.get(), nullptr, 0, nullptr, 0, &five), 0);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

// A zero timespec polls; a timeout is waited out in full when nothing fires.
TEST_F(KqueueShimTest, TimeoutsPollAndWaitAtLeastTheInterval) {
  SocketPair p = SocketPair::make();
  add(p.a.get(), EVFILT_READ);
  EXPECT_TRUE(wait(0).empty());
  for (long ns : {1L, 999'999L, 2'500'000L}) {
    struct kevent out;
    const timespec ts{0, ns};
    const auto start = Clock::now();
    EXPECT_EQ(kevent(kq_.get(), nullptr, 0, &out, 1, &ts), 0);
    EXPECT_GE(Clock::now() - start, std::chrono::nanoseconds(ns));
  }
  const timespec bad{0, 1'000'000'000};
  struct kevent out;
  errno = 0;
  EXPECT_EQ(kevent(kq_.get(), nullptr, 0, &out, 1, &bad), -1);
  EXPECT_EQ(errno, EINVAL);
}

// EVFILT_TIMER: periodic unless EV_ONESHOT; "data contains the number of
// times the timeout has expired since the last call to kevent()".
TEST_F(KqueueShimTest, PeriodicTimerCountsExpirations) {
  add(7, EVFILT_TIMER, 0, NOTE_USECONDS, 5'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].ident, 7u);
  EXPECT_GE(evs[0].data, 3) << "several periods passed";
  evs = wait(-1);
  ASSERT_EQ(evs.size(), 1u) << "still periodic";
  EXPECT_GE(evs[0].data, 1);
  EXPECT_EQ(change(7, EVFILT_TIMER, EV_DELETE), 0);
}

TEST_F(KqueueShimTest, OneshotTimerFiresOnceAfterItsInterval) {
  const auto start = Clock::now();
  add(1, EVFILT_TIMER, EV_ONESHOT, 0, 20);  // milliseconds by default
  std::vector<struct kevent> evs = wait(-1);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(20));
  EXPECT_EQ(evs[0].data, 1);
  EXPECT_EQ(change(1, EVFILT_TIMER, EV_DELETE), ENOENT) << "deleted after delivery";
}

// "If an existing timer is re-added, the existing timer will be effectively
// canceled (throwing away any undelivered record of previous timer
// expiration) and restarted."
TEST_F(KqueueShimTest, ReaddingATimerRestartsIt) {
  add(3, EVFILT_TIMER, 0, NOTE_MSECONDS, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  add(3, EVFILT_TIMER, 0, NOTE_SECONDS, 60);
  EXPECT_TRUE(wait(30).empty()) << "old expirations thrown away, new period is long";
}

// EVFILT_USER: NOTE_TRIGGER from another thread wakes a blocked kevent().
TEST_F(KqueueShimTest, UserEventTriggeredFromAnotherThreadWakesWaiter) {
  add(42, EVFILT_USER, EV_CLEAR);
  std::atomic<bool> waiting{false};
  std::thread trigger([&] {
    while (!waiting.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    struct kevent c;
    evSet(&c, static_cast<uintptr_t>(42), EVFILT_USER, 0, NOTE_TRIGGER);
    EXPECT_EQ(kevent(kq_.get(), &c, 1, nullptr, 0, nullptr), 0);
  });
  waiting = true;
  std::vector<struct kevent> evs = wait(-1);
  trigger.join();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].ident, 42u);
  EXPECT_EQ(evs[0].filter, EVFILT_USER);
  EXPECT_TRUE(wait().empty()) << "EV_CLEAR reset the trigger";
}

// NOTE_FFAND / NOTE_FFOR / NOTE_FFCOPY act on the low 24 bits of fflags.
TEST_F(KqueueShimTest, UserEventFflagsControl) {
  add(5, EVFILT_USER, 0, NOTE_FFCOPY | 0x0f);
  ASSERT_EQ(change(5, EVFILT_USER, 0, NOTE_FFOR | 0x30), 0);
  ASSERT_EQ(change(5, EVFILT_USER, 0, NOTE_FFAND | 0x3c), 0);
  ASSERT_EQ(change(5, EVFILT_USER, 0, NOTE_TRIGGER), 0);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].fflags & NOTE_FFLAGSMASK, 0x3cu);
  EXPECT_EQ(wait().size(), 1u) << "without EV_CLEAR the trigger stays";
  EXPECT_EQ(change(6, EVFILT_USER, 0, NOTE_TRIGGER), ENOENT);
}

// "Calling close() on a file descriptor will remove any kevents that
// reference the descriptor": nothing carries over to a reused number.
TEST_F(KqueueShimTest, CloseRemovesKnotes) {
  SocketPair p = SocketPair::make();
  const int fd = p.a.get();
  ASSERT_EQ(writeN(p.b.get(), 1), 1);
  add(fd, EVFILT_READ);
  p.a.reset();
  EXPECT_TRUE(wait().empty());
  SocketPair q = SocketPair::make();  // likely takes the same number
  if (q.a.get() == fd || q.b.get() == fd) {
    EXPECT_TRUE(wait().empty()) << "a knote of the closed file reached the new one";
    EXPECT_EQ(change(fd, EVFILT_READ, EV_DELETE), ENOENT);
  }
}

void onSignal(int) {}

// ERRORS: EINTR "A signal was delivered before the timeout expired".
TEST_F(KqueueShimTest, SignalInterruptsBlockedWait) {
  struct sigaction action {};
  action.sa_handler = onSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  const pthread_t self = ::pthread_self();
  std::atomic<bool> done{false};
  std::thread signaller([&] {
    while (!done.load()) {
      ::pthread_kill(self, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  struct kevent out;
  errno = 0;
  const int n = kevent(kq_.get(), nullptr, 0, &out, 1, nullptr);
  const int err = errno;
  done = true;
  signaller.join();
  ::sigaction(SIGUSR1, &previous, nullptr);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EINTR);
}

// Vnodes: READ "returns when the file pointer is not at the end of file";
// data is what is left to read.
TEST_F(KqueueShimTest, RegularFileReadableUntilEndOfFile) {
  char path[] = "/tmp/kqueue_shim_testXXXXXX";
  OwnedFd f(::mkstemp(path));
  ASSERT_GE(f.get(), 0);
  ::unlink(path);
  ASSERT_EQ(writeN(f.get(), 10), 10);
  ASSERT_EQ(::lseek(f.get(), 4, SEEK_SET), 4);
  add(f.get(), EVFILT_READ);
  std::vector<struct kevent> evs = wait();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, 6);
  ASSERT_EQ(::lseek(f.get(), 0, SEEK_END), 10);
  EXPECT_TRUE(wait().empty()) << "at the end of the file";
}

TEST_F(KqueueShimTest, KeventOnSomethingElseIsEbadf) {
  SocketPair p = SocketPair::make();
  struct kevent out;
  const timespec zero{0, 0};
  errno = 0;
  EXPECT_EQ(kevent(p.a.get(), nullptr, 0, &out, 1, &zero), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
