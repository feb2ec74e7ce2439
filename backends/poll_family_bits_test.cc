// The exact bits of the backends built on the kernel's poll machinery (poll,
// epoll, io_uring's poll requests): a peer's close is readable plus hang-up,
// and a pipe whose reader is gone is an error for its writer, as POLLHUP and
// POLLERR say. The contract suite (backend_contract_test.cc) asks only what
// every backend can give; select has no hang-up bit, and kqueue's own
// mapping is pinned in kqueue_backend_test.cc. Instantiated by name:
// PollFamily/PollFamilyBitsTest.Case/epoll.
#include <memory>
#include <string>

#include "backends/backend.h"
#include "backends/registry.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using testing::describeBits;
using testing::Pipe;
using testing::pollNow;
using testing::SocketPair;

class PollFamilyBitsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Backend>> created = createBackend(GetParam());
    // io_uring may be refused by the kernel or a seccomp policy; the others
    // are always there on Linux.
    if (!created.ok() && GetParam() == "io_uring") {
      GTEST_SKIP() << "io_uring is unavailable here: " << created.status();
    }
    ASSERT_TRUE(created.ok()) << created.status();
    backend_ = *std::move(created);
  }

  std::unique_ptr<Backend> backend_;
};

TEST_P(PollFamilyBitsTest, PeerCloseIsHangupPlusReadable) {
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(backend_->setInterest(pair.a.get(), Interest::kNone, Interest::kRead).ok());
  EXPECT_TRUE(pollNow(*backend_).events().empty()) << "nothing before the close";
  pair.b.reset();
  const std::uint8_t bits = pollNow(*backend_).bitsFor(pair.a.get());
  EXPECT_EQ(bits, kReadable | kHangup) << describeBits(bits);
}

TEST_P(PollFamilyBitsTest, WriterWithoutReaderGetsError) {
  Pipe pipe = Pipe::make();
  ASSERT_TRUE(
      backend_->setInterest(pipe.writeEnd.get(), Interest::kNone, Interest::kWrite).ok());
  EXPECT_EQ(pollNow(*backend_).bitsFor(pipe.writeEnd.get()), kWritable);
  pipe.readEnd.reset();
  const std::uint8_t bits = pollNow(*backend_).bitsFor(pipe.writeEnd.get());
  EXPECT_NE(bits & kError, 0) << describeBits(bits);
}

INSTANTIATE_TEST_SUITE_P(PollFamily, PollFamilyBitsTest,
                         ::testing::Values("poll", "epoll", "io_uring"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace torsion
