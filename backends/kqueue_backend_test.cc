// kqueue-specific behaviour beside the shared contract suite
// (backend_contract_test.cc): how EV_EOF and fflags become readiness bits
// (Twisted's kqreactor._doWriteOrRead), how READ and WRITE knotes merge, and
// the options. On Linux these run over the emulation in kqueue_shim/.
#include "backends/kqueue_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using testing::describeBits;
using testing::OwnedFd;
using testing::RecordingSink;
using testing::SocketPair;

class KqueueBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Backend>> b = KqueueBackend::create();
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = *std::move(b);
  }

  void watch(int fd, Interest previous, Interest wanted) {
    absl::Status s = backend_->setInterest(fd, previous, wanted);
    ASSERT_TRUE(s.ok()) << s;
  }

  // Polls until `fd` shows `bits` (or a second passes); returns what it saw.
  std::uint8_t pollUntil(int fd, std::uint8_t bits) {
    std::uint8_t seen = 0;
    for (int i = 0; i < 100 && (seen & bits) != bits; ++i) {
      RecordingSink sink;
      absl::StatusOr<int> n = backend_->poll(milliseconds(10), sink);
      EXPECT_TRUE(n.ok()) << n.status();
      seen = sink.bitsFor(fd);
    }
    return seen;
  }

  std::unique_ptr<Backend> backend_;
};

TEST(KqueueRegistrationTest, RegisteredUnderItsName) {
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("kqueue");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->name(), "kqueue");
  EXPECT_TRUE((*b)->features().fdReadiness);
  EXPECT_TRUE((*b)->features().constantTimePerEvent);
}

TEST(KqueueRegistrationTest, BadOptionsAreRefused) {
  KqueueBackend::Options options;
  options.maxEventsPerPoll = 0;
  absl::StatusOr<std::unique_ptr<Backend>> b = KqueueBackend::create(options);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << b.status();
  EXPECT_NE(std::string(b.status().message()).find("maxEventsPerPoll"),
            std::string::npos);
}

// A reset connection: EV_EOF with ECONNRESET in fflags is kqreactor's
// CONNECTION_LOST; the read that follows still sees the error.
TEST_F(KqueueBackendTest, ResetIsHangupAndErrorAndStaysReadable) {
  SocketPair p = SocketPair::makeTcp();
  watch(p.a.get(), Interest::kNone, Interest::kRead);
  linger lin{1, 0};
  ASSERT_EQ(::setsockopt(p.b.get(), SOL_SOCKET, SO_LINGER, &lin, sizeof lin), 0);
  p.b.reset();
  const std::uint8_t bits = pollUntil(p.a.get(), kReadable | kHangup | kError);
  EXPECT_EQ(bits, kReadable | kHangup | kError) << describeBits(bits);
  char c;
  EXPECT_EQ(::recv(p.a.get(), &c, 1, 0), -1);
  EXPECT_EQ(errno, ECONNRESET);
  backend_->forget(p.a.get());
}

// The peer's FIN with data still pending: readable and hang-up, no error.
TEST_F(KqueueBackendTest, PeerFinWithPendingDataIsReadableHangup) {
  SocketPair p = SocketPair::makeTcp();
  watch(p.a.get(), Interest::kNone, Interest::kRead);
  ASSERT_EQ(::write(p.b.get(), "abc", 3), 3);
  ASSERT_EQ(::shutdown(p.b.get(), SHUT_WR), 0);
  const std::uint8_t bits = pollUntil(p.a.get(), kReadable | kHangup);
  EXPECT_EQ(bits, kReadable | kHangup) << describeBits(bits);
  backend_->forget(p.a.get());
}

// Our own shutdown(SHUT_WR) sets EV_EOF on the WRITE knote; that must not
// read as a lost peer, or half-closed connections would be torn down.
TEST_F(KqueueBackendTest, OwnWriteShutdownIsNotAHangup) {
  SocketPair p = SocketPair::makeTcp();
  ASSERT_EQ(::shutdown(p.a.get(), SHUT_WR), 0);
  watch(p.a.get(), Interest::kNone, Interest::kWrite);
  RecordingSink sink;
  ASSERT_TRUE(backend_->poll(nanoseconds(0), sink).ok());
  EXPECT_EQ(sink.bitsFor(p.a.get()), kWritable) << describeBits(sink.bitsFor(p.a.get()));
  backend_->forget(p.a.get());
}

// A refused connect: the WRITE knote fires with EV_EOF and ECONNREFUSED, and
// SO_ERROR still holds the reason for the connector.
TEST_F(KqueueBackendTest, RefusedConnectIsWritableHangupErrorWithSoError) {
  sockaddr_in addr{};
  { OwnedFd l = testing::loopbackListener(&addr); }  // nobody listens there now
  OwnedFd c = testing::connectTo(addr, true);
  if (c.get() < 0) {
    ASSERT_EQ(errno, ECONNREFUSED);
    GTEST_SKIP() << "refused synchronously";
  }
  watch(c.get(), Interest::kNone, Interest::kWrite);
  const std::uint8_t bits = pollUntil(c.get(), kHangup | kError);
  EXPECT_EQ(bits, kWritable | kHangup | kError) << describeBits(bits);
  int err = 0;
  socklen_t len = sizeof err;
  ASSERT_EQ(::getsockopt(c.get(), SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, ECONNREFUSED);
  backend_->forget(c.get());
}

// With room for one kevent per poll, a descriptor ready both ways is
// reported over two polls; nothing is lost (level-triggered).
TEST(KqueueOptionsTest, SmallEventArrayLosesNothing) {
  KqueueBackend::Options options;
  options.maxEventsPerPoll = 1;
  absl::StatusOr<std::unique_ptr<Backend>> b = KqueueBackend::create(options);
  ASSERT_TRUE(b.ok()) << b.status();
  testing::SocketPair pair = testing::SocketPair::make();
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  ASSERT_TRUE(
      (*b)->setInterest(pair.a.get(), Interest::kNone, Interest::kReadWrite).ok());
  std::uint8_t seen = 0;
  for (int i = 0; i < 4; ++i) {
    RecordingSink sink;
    absl::StatusOr<int> n = (*b)->poll(nanoseconds(0), sink);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_LE(sink.events().size(), 1u);
    seen |= sink.bitsFor(pair.a.get());
  }
  EXPECT_EQ(seen, kReadable | kWritable) << describeBits(seen);
}

// kqueue would accept a directory with its vnode rule; the backend keeps
// poll(2)'s "always ready" instead, as for regular files.
TEST_F(KqueueBackendTest, DirectoryIsAlwaysReady) {
  const char* dir = std::getenv("TEST_TMPDIR");
  OwnedFd d(::open(dir != nullptr ? dir : "/tmp", O_RDONLY | O_DIRECTORY));
  ASSERT_GE(d.get(), 0);
  watch(d.get(), Interest::kNone, Interest::kRead);
  RecordingSink sink;
  ASSERT_TRUE(backend_->poll(std::nullopt, sink).ok());
  EXPECT_EQ(sink.bitsFor(d.get()), kReadable);
  watch(d.get(), Interest::kRead, Interest::kNone);
}

// A wake-up from a signal handler is async-signal-safe (the reactor's
// signal handlers call it).
std::atomic<const Backend*> gTarget{nullptr};
void wakeFromHandler(int) {
  if (const Backend* b = gTarget.load()) b->wakeUp();
}

TEST_F(KqueueBackendTest, WakeUpFromSignalHandler) {
  struct sigaction action {};
  action.sa_handler = wakeFromHandler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGUSR2, &action, &previous), 0);
  gTarget = backend_.get();
  ASSERT_EQ(::raise(SIGUSR2), 0);
  RecordingSink sink;
  absl::StatusOr<int> n = backend_->poll(std::nullopt, sink);  // hangs if lost
  gTarget = nullptr;
  ::sigaction(SIGUSR2, &previous, nullptr);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(sink.events().empty());
}

}  // namespace
}  // namespace torsion
