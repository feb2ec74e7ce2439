// torsion/backends/dispatch_scope.h: "a poll is delivering events" flag.
//
// Internal to backends/. Set for as long as poll() is calling the sink, and
// cleared even when the sink throws, so that setInterest/forget know to keep
// indices stable and a nested poll() can be refused.
//
//   DispatchScope scope(dispatching_);
//   for (...) sink.onReady(fd, bits);
//
// Thread-safety: none; the polling thread's.
#ifndef TORSION_BACKENDS_DISPATCH_SCOPE_H_
#define TORSION_BACKENDS_DISPATCH_SCOPE_H_

namespace torsion::internal {

class DispatchScope {
 public:
  explicit DispatchScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~DispatchScope() { flag_ = false; }
  DispatchScope(const DispatchScope&) = delete;
  DispatchScope& operator=(const DispatchScope&) = delete;

 private:
  bool& flag_;
};

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_DISPATCH_SCOPE_H_
