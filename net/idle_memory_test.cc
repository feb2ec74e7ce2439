// A guard on the per-connection memory budget (≤ 1 KiB of user-space
// memory per idle connection, docs/net.md): what a connection object and
// its make_shared control block cost, plus the reactor's per-fd slot and
// hash entry. No Twisted counterpart.
#include <memory>

#include "gtest/gtest.h"
#include "net/stream_connection.h"

namespace torsion::net::internal {
namespace {

TEST(IdleMemoryTest, ConnectionObjectFitsTheBudget) {
  // make_shared: object + control block (two counts and a vtable pointer).
  constexpr std::size_t kControlBlock = 16;
  // FdDispatcher: a 32-byte Slot per fd plus a flat_hash_map entry
  // (pointer key + 12-byte Registration + a control byte), rounded up.
  constexpr std::size_t kReactorBookkeeping = 64;
  const std::size_t total =
      sizeof(StreamConnection) + kControlBlock + kReactorBookkeeping;
  EXPECT_LE(total, 768u) << "sizeof(StreamConnection) = " << sizeof(StreamConnection)
                         << "; leave room in the 1 KiB budget for the protocol";
}

}  // namespace
}  // namespace torsion::net::internal
