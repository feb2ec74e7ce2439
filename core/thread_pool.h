// torsion/core/thread_pool.h: a bounded pool of worker threads.
//
// Mirrors twisted.python.threadpool.ThreadPool as the reactor uses it for
// callInThread / deferToThread: work queued before start() waits; workers
// are started lazily, one per queued item while none is idle, up to
// `maxThreads`; stop() lets queued work finish, then joins every worker.
// Exceptions thrown by work are logged (base/log.h, system "threadpool").
//
//   torsion::ThreadPool pool(0, 4);
//   pool.start();
//   pool.callInThread([] { crunch(); });
//   pool.stop();   // waits for crunch() to return
//
// Thread-safety: callInThread may be called from any thread; start, stop
// and adjustPoolsize from one controlling thread (the reactor's). The
// destructor stops the pool.
#ifndef TORSION_CORE_THREAD_POOL_H_
#define TORSION_CORE_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace torsion {

class ThreadPool {
 public:
  // Throws std::invalid_argument if maxThreads is 0 or below minThreads.
  explicit ThreadPool(std::size_t minThreads = 0, std::size_t maxThreads = 10);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Starts `minThreads` workers, then enough for the work already queued.
  void start();

  // Lets queued work finish, then joins every worker. Work queued after
  // stop() began is dropped (its callable destroyed unrun) and logged.
  // Idempotent; a stopped pool may be started again.
  void stop();

  // Queues `f` to run on a worker thread, in FIFO order of queueing.
  void callInThread(absl::AnyInvocable<void()> f);

  // Changes the bounds (Twisted's adjustPoolsize). Same errors as the
  // constructor. Extra idle workers are not killed, only not replaced.
  void adjustPoolsize(std::size_t minThreads, std::size_t maxThreads);

  bool started() const;
  // Worker threads alive now.
  std::size_t workers() const;
  // Items queued and not yet taken by a worker.
  std::size_t queued() const;
  std::size_t maxThreads() const;

 private:
  void workerLoop();
  // Called with mutex_ held.
  void spawnIfNeededLocked();

  mutable std::mutex mutex_;
  std::condition_variable workAvailable_;
  std::deque<absl::AnyInvocable<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t min_;
  std::size_t max_;
  std::size_t idle_ = 0;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace torsion

#endif  // TORSION_CORE_THREAD_POOL_H_
