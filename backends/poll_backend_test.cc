// poll-only behaviour beyond the contract suite and the poll-family bits
// (poll_family_bits_test.cc): POLLNVAL, and the dense pollfd array staying consistent
// through swap-removals and removals in the middle of a batch.
#include "backends/poll_backend.h"

#include <chrono>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using testing::pollNow;
using testing::RecordingSink;
using testing::SocketPair;

std::unique_ptr<Backend> makePoll() {
  return testing::createdOrNull(PollBackend::create());
}

TEST(PollBackendTest, ClosedRegisteredFdIsInvalid) {
  std::unique_ptr<Backend> b = makePoll();
  SocketPair pair = SocketPair::make();
  const int fd = pair.a.get();
  ASSERT_TRUE(b->setInterest(fd, Interest::kNone, Interest::kRead).ok());
  pair.a.reset();
  EXPECT_EQ(pollNow(*b).bitsFor(fd), kInvalid);
  b->forget(fd);
  EXPECT_TRUE(pollNow(*b).events().empty());
}

// Random adds, modifies and removes against a model of what is watched:
// every poll must report exactly the model's writable set.
TEST(PollBackendTest, DenseArrayMatchesAModelThroughRandomChanges) {
  std::unique_ptr<Backend> b = makePoll();
  std::vector<SocketPair> pairs(40);
  for (SocketPair& p : pairs) p = SocketPair::make();
  std::vector<Interest> model(pairs.size(), Interest::kNone);
  std::mt19937 random(12345);
  for (int step = 0; step < 2000; ++step) {
    const std::size_t i = random() % pairs.size();
    const Interest wanted = static_cast<Interest>(random() % 4);
    ASSERT_TRUE(b->setInterest(pairs[i].a.get(), model[i], wanted).ok()) << step;
    model[i] = wanted;
    if (step % 50 != 0) continue;
    RecordingSink sink = pollNow(*b);
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      const std::uint8_t expected =
          hasInterest(model[k], Interest::kWrite) ? kWritable : 0;
      EXPECT_EQ(sink.bitsFor(pairs[k].a.get()), expected)
          << "step " << step << " fd " << k;
    }
  }
}

// Removals during a batch leave tombstones; adds during a batch append. The
// next polls must still agree with what is watched.
TEST(PollBackendTest, ChangesDuringBatchKeepTheArrayConsistent) {
  std::unique_ptr<Backend> b = makePoll();
  std::vector<SocketPair> pairs(10);
  for (SocketPair& p : pairs) {
    p = SocketPair::make();
    ASSERT_TRUE(b->setInterest(p.a.get(), Interest::kNone, Interest::kWrite).ok());
  }
  SocketPair late = SocketPair::make();
  RecordingSink sink;
  sink.hook = [&](int fd, std::uint8_t) {
    if (fd != pairs[0].a.get()) return;
    for (std::size_t i = 1; i < pairs.size(); i += 2) {
      ASSERT_TRUE(
          b->setInterest(pairs[i].a.get(), Interest::kWrite, Interest::kNone).ok());
    }
    ASSERT_TRUE(b->setInterest(late.a.get(), Interest::kNone, Interest::kWrite).ok());
  };
  ASSERT_TRUE(b->poll(std::chrono::nanoseconds(0), sink).ok());
  RecordingSink next = pollNow(*b);
  EXPECT_EQ(next.bitsFor(late.a.get()), kWritable);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(next.bitsFor(pairs[i].a.get()), i % 2 == 1 ? 0 : kWritable) << i;
  }
  // A removal after the batch (swap with the last entry) still works.
  ASSERT_TRUE(b->setInterest(pairs[0].a.get(), Interest::kWrite, Interest::kNone).ok());
  RecordingSink last = pollNow(*b);
  EXPECT_EQ(last.bitsFor(pairs[0].a.get()), 0);
  EXPECT_EQ(last.events().size(), 1u + pairs.size() / 2 - 1);
}

}  // namespace
}  // namespace torsion
