// A guard on the per-connection memory budget (at most 1 KiB of user-space
// memory per idle connection, docs/io_uring.md) for the io_uring connection:
// what an idle one holds, with its multishot receive armed. No Twisted
// counterpart.
#include <memory>

#include "backends/completion_port.h"
#include "gtest/gtest.h"
#include "net/uring/uring_stream_connection.h"

namespace torsion::net::internal {
namespace {

TEST(UringIdleMemoryTest, IdleConnectionFitsTheBudget) {
  // make_shared: object + control block (two counts and a vtable pointer).
  constexpr std::size_t kControlBlock = 16;
  // The armed receive: its CompletionOperation (the callback, which holds
  // only the connection, is stored inline), malloc's header, and its slot
  // in the port's table plus the completion reserved for it.
  constexpr std::size_t kMallocHeader = 16;
  constexpr std::size_t kOperationSlot = 16 + 16;
  const std::size_t total = sizeof(UringStreamConnection) + kControlBlock +
                            sizeof(CompletionOperation) + kMallocHeader + kOperationSlot;
  EXPECT_LE(total, 768u) << "sizeof(UringStreamConnection) = "
                         << sizeof(UringStreamConnection)
                         << "; leave room in the 1 KiB budget for the protocol";
  // Nothing per connection for a send that is not in flight: the SENDMSG
  // iovecs are allocated for the request only.
  EXPECT_LT(sizeof(UringStreamConnection), 1024u);
}

}  // namespace
}  // namespace torsion::net::internal
