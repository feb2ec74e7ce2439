// torsion/testing/test_descriptor.h: a FileDescriptor whose behaviour each
// test supplies, counting every call the reactor or dispatcher makes.
//
//   testing::TestDescriptor d(pair.a.get());
//   d.onRead = [&] { reactor().stop(); return testing::TestDescriptor::drain(d.fd_); };
//   ASSERT_TRUE(reactor().addReader(&d).ok());
//   ... EXPECT_EQ(d.reads, 1);
#ifndef TORSION_TESTING_TEST_DESCRIPTOR_H_
#define TORSION_TESTING_TEST_DESCRIPTOR_H_

#include <exception>
#include <functional>
#include <string>

#include "core/file_descriptor.h"

namespace torsion::testing {

class TestDescriptor : public FileDescriptor {
 public:
  explicit TestDescriptor(int fd) : fd_(fd) {}

  int fileno() const override;
  LostReason doRead() override;
  LostReason doWrite() override;
  void connectionLost(const LostReason& why) override;
  bool halfCloseable() const override { return halfClose; }
  void readConnectionLost(const LostReason& why) override;
  std::string logPrefix() const override { return "TestDescriptor"; }

  // Reads and discards what is pending on `fd` (POSIX read()); a
  // ConnectionDone at end of file, else no reason.
  static LostReason drain(int fd);

  // The exception text of `reason`, or "" if none.
  std::string reasonText() const;
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
  // fileno() throws, as Twisted's does for a closed socket.
  bool filenoThrows = false;
  bool halfClose = false;
  int reads = 0, writes = 0, lost = 0, readLost = 0;
  // The reason of the last connectionLost or readConnectionLost.
  LostReason reason;
  // Run by doRead/doWrite (after counting); absent means "nothing, no reason".
  std::function<LostReason()> onRead, onWrite;
  std::function<void()> onLost;
};

}  // namespace torsion::testing

#endif  // TORSION_TESTING_TEST_DESCRIPTOR_H_
