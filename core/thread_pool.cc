#include "core/thread_pool.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "base/log.h"

namespace torsion {
namespace {

void checkBounds(std::size_t minThreads, std::size_t maxThreads) {
  if (maxThreads == 0 || minThreads > maxThreads) {
    throw std::invalid_argument(
        "ThreadPool: need 0 < maxThreads and minThreads <= maxThreads (got "
        "min=" +
        std::to_string(minThreads) + ", max=" + std::to_string(maxThreads) + ")");
  }
}

}  // namespace

ThreadPool::ThreadPool(std::size_t minThreads, std::size_t maxThreads)
    : min_(minThreads), max_(maxThreads) {
  checkBounds(minThreads, maxThreads);
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  while (threads_.size() < min_) {
    threads_.emplace_back([this] { workerLoop(); });
    ++idle_;
  }
  spawnIfNeededLocked();
}

void ThreadPool::spawnIfNeededLocked() {
  if (!started_ || stopping_) return;
  // One new worker per queued item nobody idle will pick up, within max.
  while (queue_.size() > idle_ && threads_.size() < max_) {
    threads_.emplace_back([this] { workerLoop(); });
    ++idle_;
  }
}

void ThreadPool::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    if (!started_) {
      // Never started: nothing runs. Drop what was queued (outside the
      // lock: destructors of queued callables may call back in).
      std::deque<absl::AnyInvocable<void()>> dropped;
      dropped.swap(queue_);
      if (!dropped.empty()) {
        log::msg("threadpool", "dropped " + std::to_string(dropped.size()) +
                                   " work item(s) queued on a pool that "
                                   "never started");
      }
      return;
    }
    stopping_ = true;
    threads.swap(threads_);
  }
  workAvailable_.notify_all();
  for (std::thread& t : threads) t.join();
  std::deque<absl::AnyInvocable<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(queue_);
    started_ = false;
    stopping_ = false;
    idle_ = 0;
  }
  if (!dropped.empty()) {
    log::msg("threadpool", "dropped " + std::to_string(dropped.size()) +
                               " work item(s) queued during stop()");
  }
}

void ThreadPool::callInThread(absl::AnyInvocable<void()> f) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(f));
    spawnIfNeededLocked();
  }
  workAvailable_.notify_one();
}

void ThreadPool::adjustPoolsize(std::size_t minThreads, std::size_t maxThreads) {
  checkBounds(minThreads, maxThreads);
  std::lock_guard lock(mutex_);
  min_ = minThreads;
  max_ = maxThreads;
  if (!started_ || stopping_) return;
  while (threads_.size() < min_) {
    threads_.emplace_back([this] { workerLoop(); });
    ++idle_;
  }
  spawnIfNeededLocked();
}

void ThreadPool::workerLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Workers drain the queue before honouring stop(): stop() promises
    // that work queued before it runs.
    workAvailable_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, nothing left
    absl::AnyInvocable<void()> f = std::move(queue_.front());
    queue_.pop_front();
    --idle_;
    lock.unlock();
    try {
      f();
    } catch (...) {
      log::err("threadpool", "Unhandled error in thread pool work",
               std::current_exception());
    }
    f = nullptr;  // destroy captures outside the lock
    lock.lock();
    ++idle_;
  }
}

bool ThreadPool::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

std::size_t ThreadPool::workers() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

std::size_t ThreadPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t ThreadPool::maxThreads() const {
  std::lock_guard lock(mutex_);
  return max_;
}

}  // namespace torsion
