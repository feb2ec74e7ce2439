// White-box tests of internal::WriteBuffer (no Twisted counterpart:
// FileDescriptor's buffer is Python lists).
#include "net/write_buffer.h"

#include <string>

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

}  // namespace
}  // namespace torsion::net::internal
