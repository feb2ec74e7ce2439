// White-box tests of internal::WriteBuffer (no Twisted counterpart:
// FileDescriptor's buffer is Python lists).
#include "net/write_buffer.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace torsion::net::internal {
namespace {

std::string drain(WriteBuffer& b, std::size_t step) {
  std::string out;
  while (!b.empty()) {
    IoVec iov[4];
    const int n = b.gather(iov, 4);
    std::size_t taken = 0;
    for (int i = 0; i < n && taken < step; ++i) {
      const std::size_t k = std::min(step - taken, ioVecSize(iov[i]));
      out.append(ioVecData(iov[i]), k);
      taken += k;
    }
    b.consume(taken);
  }
  return out;
}

TEST(WriteBufferTest, KeepsOrderAcrossChunksAndPartialConsumes) {
  WriteBuffer b;
  std::string expected;
  for (int i = 0; i < 500; ++i) {
    std::string piece(static_cast<std::size_t>(i * 97 % 40000 + 1),
                      static_cast<char>('a' + i % 26));
    expected += piece;
    b.append(piece);
  }
  EXPECT_EQ(b.size(), expected.size());
  EXPECT_EQ(drain(b, 7919), expected);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
}

TEST(WriteBufferTest, SmallWritesArePackedIntoOneChunk) {
  WriteBuffer b;
  for (int i = 0; i < 100; ++i) b.append("0123456789");
  IoVec iov[8];
  EXPECT_EQ(b.gather(iov, 8), 1);
  EXPECT_EQ(ioVecSize(iov[0]), 1000u);
}

TEST(WriteBufferTest, EmptyAppendIsANoOpAndClearEmpties) {
  WriteBuffer b;
  b.append("");
  EXPECT_TRUE(b.empty());
  b.append("abc");
  b.clear();
  EXPECT_TRUE(b.empty());
  IoVec iov[1];
  EXPECT_EQ(b.gather(iov, 1), 0);
}

TEST(WriteBufferTest, AppendAfterPartialConsumeKeepsOrder) {
  WriteBuffer b;
  b.append("hello ");
  b.consume(2);
  b.append("world");
  EXPECT_EQ(drain(b, 3), "llo world");
}

TEST(WriteBufferTest, LargeWritesSpanBlocksAndAppendingNeverMovesPendingBytes) {
  WriteBuffer b;
  const std::string big(3 * WriteBuffer::kChunkSize + 100, 'x');
  b.append("head");
  IoVec before[1];
  ASSERT_EQ(b.gather(before, 1), 1);
  const char* first = ioVecData(before[0]);
  b.append(big);
  IoVec iov[8];
  // "head" + big: three full blocks and 104 bytes of a fourth.
  EXPECT_EQ(b.gather(iov, 8), 4);
  EXPECT_EQ(ioVecData(iov[0]), first);  // the IOCP transport relies on it
  EXPECT_EQ(ioVecSize(iov[0]), WriteBuffer::kChunkSize);
  EXPECT_EQ(ioVecSize(iov[3]), 104u);
  EXPECT_EQ(drain(b, 5000), "head" + big);
}

TEST(WriteChunkPoolTest, GivenBlocksAreReusedUpToTheCacheBound) {
  if (!torsion::internal::kThreadBlockCacheEnabled)
    GTEST_SKIP() << "no block cache under ASan";
  // Whatever earlier tests left cached on this thread first.
  std::vector<char*> drained;
  for (std::size_t i = 0; i < WriteChunks::kMaxCached; ++i)
    drained.push_back(static_cast<char*>(WriteChunks::take()));
  for (char* b : drained) WriteChunks::give(b);

  std::vector<char*> blocks;
  for (std::size_t i = 0; i < WriteChunks::kMaxCached + 4; ++i)
    blocks.push_back(static_cast<char*>(WriteChunks::take()));
  const std::set<char*> given(blocks.begin(), blocks.end());
  for (char* b : blocks) WriteChunks::give(b);  // the last 4 are freed
  std::set<char*> again;
  for (std::size_t i = 0; i < WriteChunks::kMaxCached; ++i) {
    char* b = static_cast<char*>(WriteChunks::take());
    EXPECT_TRUE(given.count(b) == 1) << "block " << i << " was not reused";
    again.insert(b);
  }
  EXPECT_EQ(again.size(), WriteChunks::kMaxCached);
  for (char* b : again) WriteChunks::give(b);
  WriteChunks::give(nullptr);  // ignored
}

TEST(WriteBufferTest, DrainedBufferGivesItsBlocksBackForTheNextOne) {
  if (!torsion::internal::kThreadBlockCacheEnabled)
    GTEST_SKIP() << "no block cache under ASan";
  WriteBuffer a;
  a.append(std::string(100, 'a'));
  IoVec iov[1];
  ASSERT_EQ(a.gather(iov, 1), 1);
  const char* block = ioVecData(iov[0]);
  a.consume(100);  // drained: the block goes back to this thread's cache
  WriteBuffer b;
  b.append("b");
  ASSERT_EQ(b.gather(iov, 1), 1);
  EXPECT_EQ(ioVecData(iov[0]), block);
}

}  // namespace
}  // namespace torsion::net::internal
