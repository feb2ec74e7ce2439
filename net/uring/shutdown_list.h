// torsion/net/uring/shutdown_list.h: the io_uring connections of one
// reactor that reactor shutdown must disconnect (internal).
//
// A completion transport is no FileDescriptor, so FdDispatcher::disconnectAll
// does not reach it; net/completion_support.h's ShutdownHook adds one
// "during shutdown" trigger per transport for that. A trigger costs about
// 200 bytes of heap (its entry, its id's map node, the wrapped callback),
// a fifth of an idle connection's budget (docs/io_uring.md). Here every
// connection of a port joins one intrusive list instead (two pointers and
// a reference to the list), and one trigger per port disconnects them all.
//
//   class Conn : public ShutdownList::Member {
//     void reactorShutdown() override { ...closeNow(ConnectionLost)... }
//   };
//   list_ = ShutdownList::of(reactor, port);
//   list_->join(conn);   ...   list_->leave(conn);  // before conn goes
//
// The list lives as long as its port or any member, whichever is longer: a
// connection may outlive its reactor (a user holding its transport).
//
// Linux only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_URING_SHUTDOWN_LIST_H_
#define TORSION_NET_URING_SHUTDOWN_LIST_H_

#include <memory>

#include "backends/io_uring_port.h"
#include "core/reactor.h"

namespace torsion::net::internal {

class ShutdownList {
 public:
  class Member {
   public:
    // The reactor is shutting down ("during shutdown", as
    // FdDispatcher::disconnectAll): disconnect. The member has already
    // left the list.
    virtual void reactorShutdown() = 0;

   protected:
    Member() = default;
    ~Member() = default;  // leave() first
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

   private:
    friend class ShutdownList;
    Member* prev_ = nullptr;
    Member* next_ = nullptr;
    bool joined_ = false;
  };

  // The list of `port`'s connections, made at first use together with its
  // one trigger on `reactor` (the reactor whose backend `port` is).
  static std::shared_ptr<ShutdownList> of(Reactor& reactor, IoUringPort& port);

  void join(Member& m) noexcept;
  // A no-op for a member that is not in the list.
  void leave(Member& m) noexcept;

 private:
  void disconnectAll();

  Member* head_ = nullptr;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_URING_SHUTDOWN_LIST_H_
