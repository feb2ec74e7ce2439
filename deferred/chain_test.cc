// Tests of the typed chain itself: the run-time type rules (stale handles),
// the compile-time rules (callables that do not fit do not compile), and
// the iterative runner (no stack growth with a million steps or a million
// nested returned Deferreds). Not ports; test_boundedStackDepth is mirrored
// where noted.
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

// --- compile-time rules --------------------------------------------------------
// A callable whose parameter does not accept what the chain carries is
// rejected by addCallback's constraints (so these are detectable with
// `requires` instead of needing a compile-fail test).

template <typename D, typename F>
concept CanAddCallback = requires(D d, F f) {
  d.addCallback(f);
};
template <typename D, typename G>
concept CanAddErrback = requires(D d, G g) {
  d.addErrback(g);
};
template <typename D, typename F, typename G>
concept CanAddCallbacks = requires(D d, F f, G g) {
  d.addCallbacks(f, g);
};
template <typename D, typename H>
concept CanAddBoth = requires(D d, H h) {
  d.addBoth(h);
};
template <typename D, typename V>
concept CanCallback = requires(D d, V v) {
  d.callback(v);
};

static_assert(CanAddCallback<Deferred<int>, void (*)(int)>);
static_assert(CanAddCallback<Deferred<int>, std::string (*)(const int&)>);
static_assert(CanAddCallback<Deferred<int>, void (*)(long)>);  // int converts
static_assert(!CanAddCallback<Deferred<int>, void (*)(std::string)>);
static_assert(!CanAddCallback<Deferred<std::string>, void (*)(int)>);
static_assert(!CanAddCallback<Deferred<int>, void (*)()>);
static_assert(!CanAddCallback<Deferred<void>, void (*)(int)>);
static_assert(CanAddCallback<Deferred<void>, int (*)()>);
static_assert(
    !CanAddCallback<Deferred<std::unique_ptr<int>>, void (*)(std::unique_ptr<int>&)>);
static_assert(
    CanAddCallback<Deferred<std::unique_ptr<int>>, void (*)(std::unique_ptr<int>)>);
// Errbacks must give the chain back its type: a T, Deferred<T>, Outcome<T>
// or a Failure.
static_assert(CanAddErrback<Deferred<int>, int (*)(Failure)>);
static_assert(CanAddErrback<Deferred<int>, Deferred<int> (*)(Failure)>);
static_assert(CanAddErrback<Deferred<int>, Outcome<int> (*)(Failure)>);
static_assert(CanAddErrback<Deferred<int>, Failure (*)(Failure)>);
static_assert(!CanAddErrback<Deferred<int>, void (*)(Failure)>);
static_assert(!CanAddErrback<Deferred<int>, std::string (*)(Failure)>);
static_assert(!CanAddErrback<Deferred<int>, Deferred<std::string> (*)(Failure)>);
static_assert(!CanAddErrback<Deferred<int>, int (*)(int)>);
static_assert(CanAddErrback<Deferred<void>, void (*)(Failure)>);
static_assert(
    CanAddCallbacks<Deferred<int>, std::string (*)(int), std::string (*)(Failure)>);
static_assert(!CanAddCallbacks<Deferred<int>, std::string (*)(int), int (*)(Failure)>);
static_assert(CanAddBoth<Deferred<int>, int (*)(Outcome<int>)>);
static_assert(!CanAddBoth<Deferred<int>, int (*)(Outcome<std::string>)>);
static_assert(CanCallback<Deferred<int>, int>);
static_assert(!CanCallback<Deferred<int>, std::string>);
static_assert(!CanCallback<Deferred<void>, int>);
// Return types map to the next handle's type.
static_assert(std::is_same_v<decltype(std::declval<Deferred<int>&>().addCallback([](int) {
                               return Deferred<std::string>();
                             })),
                             Deferred<std::string>>);
static_assert(std::is_same_v<decltype(std::declval<Deferred<int>&>().addCallback([](int) {
                               return Outcome<double>(1.0);
                             })),
                             Deferred<double>>);
static_assert(std::is_same_v<decltype(std::declval<Deferred<int>&>().addCallback([](int) {
                               return Failure();
                             })),
                             Deferred<int>>);
static_assert(
    std::is_same_v<decltype(std::declval<Deferred<int>&>().addCallback([](int) {})),
                   Deferred<void>>);

// --- run-time type rules ---------------------------------------------------------

using TypeRuleTests = DeferredTest;

TEST_F(TypeRuleTests, StaleHandleAddThrowsNamingBothTypes) {
  Deferred<int> d;
  Deferred<std::string> s = d.addCallback([](int n) { return std::to_string(n); });
  try {
    d.addCallback([](int) {});
    FAIL() << "expected DeferredTypeError";
  } catch (const DeferredTypeError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("Deferred<int>"), std::string::npos) << what;
    EXPECT_NE(what.find("std::string"), std::string::npos) << what;
    EXPECT_NE(what.find("use the handle the last addCallback returned"),
              std::string::npos)
        << what;
  }
  // The failed add changed nothing: the right handle still works.
  std::string got;
  s.addCallback([&](std::string v) { got = v; });
  d.callback(5);
  EXPECT_EQ(got, "5");
}

TEST_F(TypeRuleTests, FireThroughWrongHandleThrowsNamingBothTypes) {
  Deferred<int> d;
  Deferred<std::string> s = d.addCallback([](int n) { return std::to_string(n); });
  try {
    s.callback("x");
    FAIL() << "expected DeferredTypeError";
  } catch (const DeferredTypeError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("Deferred<std::string>"), std::string::npos) << what;
    EXPECT_NE(what.find("Deferred<int>"), std::string::npos) << what;
  }
  EXPECT_THROW(s.errback(std::runtime_error("x")), DeferredTypeError);
  EXPECT_FALSE(d.called());
  d.callback(1);
  EXPECT_EQ(successResultOf(s), "1");
}

// The Twisted pattern: d = f(); d.addCallback(g); ... d.callback(x), while
// other code chains on copies.
TEST_F(TypeRuleTests, TwistedPatternFireOriginalHandleLater) {
  Deferred<int> d;
  Deferred<int> timerCopy = d;  // e.g. held by a timer to fire later
  Deferred<int> callerCopy = d;
  Deferred<double> half = callerCopy.addCallback([](int v) { return v / 2.0; });
  Deferred<std::string> text =
      half.addCallback([](double v) { return std::to_string(v); });
  timerCopy.callback(3);
  EXPECT_EQ(successResultOf(text), std::to_string(1.5));
}

// Same-type steps keep every handle of that type valid (Twisted style).
TEST_F(TypeRuleTests, SameTypeCallbacksThroughOneHandle) {
  Deferred<int> d;
  d.addCallback([](int v) { return v + 1; });
  d.addCallback([](int v) { return v * 10; });
  d.addErrback([](Failure) { return -1; });
  d.callback(1);
  EXPECT_EQ(successResultOf(d), 20);
}

// A callback returning a stale Deferred handle fails the chain instead of
// misreading its result.
TEST_F(TypeRuleTests, ReturnedStaleHandleFailsChain) {
  Deferred<int> inner;
  Deferred<std::string> innerText =
      inner.addCallback([](int v) { return std::to_string(v); });
  Deferred<void> outer;
  Deferred<int> next = outer.addCallback([inner] { return inner; });
  outer.callback();
  Failure f = failureResultOf(next);
  EXPECT_TRUE(f.check<DeferredTypeError>()) << f.getErrorMessage();
  inner.callback(1);
  EXPECT_EQ(successResultOf(innerText), "1");
}

TEST_F(TypeRuleTests, AsGivesCheckedHandle) {
  Deferred<int> d;
  Deferred<std::string> wrong = d.as<std::string>();
  EXPECT_THROW(wrong.addCallback([](std::string) {}), DeferredTypeError);
  EXPECT_THROW(wrong.callback("x"), DeferredTypeError);
  Deferred<int> same = wrong.as<int>();
  same.callback(4);
  EXPECT_EQ(successResultOf(d), 4);
}

TEST_F(TypeRuleTests, MovedFromHandleThrowsLogicError) {
  Deferred<int> d;
  Deferred<int> taken = std::move(d);
  EXPECT_THROW(d.addCallback([](int) {}),
               std::logic_error);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(d.callback(1), std::logic_error);
  EXPECT_FALSE(static_cast<bool>(d));
  taken.callback(1);
}

TEST_F(TypeRuleTests, MoveOnlyValues) {
  Deferred<std::unique_ptr<int>> d;
  Deferred<int> v = d.addCallback([](std::unique_ptr<int> p) { return *p; });
  d.callback(std::make_unique<int>(9));
  EXPECT_EQ(successResultOf(v), 9);
}

TEST_F(TypeRuleTests, LargeValuesAreBoxedOnTheHeap) {
  struct Big {
    char bytes[256];
    std::string tail;
  };
  Deferred<Big> d;
  Deferred<std::string> t = d.addCallback([](Big b) { return b.tail + b.bytes[0]; });
  Big big{};
  big.bytes[0] = '!';
  big.tail = std::string(100, 'x');
  d.callback(big);
  EXPECT_EQ(successResultOf(t), std::string(100, 'x') + "!");
}

// An unfired chain dropped with a big value inside is freed (ASan checks).
TEST_F(TypeRuleTests, PausedChainWithValueFreed) {
  Deferred<std::string> d;
  d.pause();
  d.callback(std::string(1000, 'y'));
  d.addCallback([](std::string) {});
}

// --- iterative runner ---------------------------------------------------------------

using RunnerTests = DeferredTest;

TEST_F(RunnerTests, MillionCallbacksOnOneDeferred) {
  constexpr int kCount = 1'000'000;
  Deferred<int> d;
  Deferred<int> tail = d;
  for (int i = 0; i < kCount; ++i) tail = tail.addCallback([](int v) { return v + 1; });
  d.callback(0);
  EXPECT_EQ(successResultOf(tail), kCount);
}

// Builds ds[0] <- ds[1] <- ... <- ds[n-1]: each ds[i] fired and waiting on
// ds[i+1], which its callback returned.
std::vector<Deferred<int>> nestedChain(int n) {
  std::vector<Deferred<int>> ds(n);
  for (int i = 0; i + 1 < n; ++i) {
    ds[i].addCallback([next = ds[i + 1]](int) { return next; });
  }
  for (int i = 0; i + 1 < n; ++i) ds[i].callback(0);
  return ds;
}

TEST_F(RunnerTests, MillionNestedReturnedDeferreds) {
  constexpr int kCount = 1'000'000;
  std::vector<Deferred<int>> ds = nestedChain(kCount);
  EXPECT_TRUE(ds[0].isWaiting());
  ds[kCount - 1].callback(42);
  EXPECT_FALSE(ds[0].isWaiting());
  EXPECT_EQ(successResultOf(ds[0]), 42);
}

// Dropping a million unfired nested Deferreds frees them without recursing.
TEST_F(RunnerTests, MillionNestedUnfiredDeferredsDestroyed) {
  constexpr int kCount = 1'000'000;
  std::vector<Deferred<int>> ds = nestedChain(kCount);
  ds.clear();
}

// Mirrors twisted/test/test_defer.py DeferredTests.test_boundedStackDepth:
// the stack depth at which the last callback runs does not depend on how
// many returned Deferreds the result went through.
// The depth is measured as the address of a local of the callback that
// `last` runs once `first` is fired.
std::uintptr_t callbackDepth(Deferred<int>& first, Deferred<int>& last) {
  std::uintptr_t address = 0;
  last.addCallback([&address](int v) {
    int local = v;
    address = reinterpret_cast<std::uintptr_t>(&local);
  });
  first.callback(1);
  return address;
}

std::uintptr_t depthThrough(int levels) {
  std::vector<Deferred<int>> ds = nestedChain(levels);
  return callbackDepth(/*first=*/ds[levels - 1], /*last=*/ds[0]);
}

TEST_F(RunnerTests, BoundedStackDepth) {
  std::uintptr_t shallow = depthThrough(2);
  std::uintptr_t deep = depthThrough(1000);
  ASSERT_NE(shallow, 0u);
  EXPECT_EQ(shallow, deep);
}

// Runs `body` on a new thread whose whole stack is `bytes` long, and waits
// for it: a recursion proportional to the chain length would overflow it.
template <typename Body>
void runOnStackOf(std::size_t bytes, Body body) {
  pthread_attr_t attributes;
  ASSERT_EQ(pthread_attr_init(&attributes), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attributes, bytes), 0);
  pthread_t thread;
  auto start = [](void* arg) -> void* {
    (*static_cast<Body*>(arg))();
    return nullptr;
  };
  int created = pthread_create(&thread, &attributes, start, &body);
  pthread_attr_destroy(&attributes);
  ASSERT_EQ(created, 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
}

// Also under ASan: its larger frames do not matter at constant depth, and a
// million links take about a second there.
constexpr int kChainLinks = 1'000'000;

// a.chainDeferred(b); b.chainDeferred(c); ... then a.callback(v): each link
// fires the next Deferred from inside a running chain (Twisted recurses
// there, D13g's exception for D14). Here the whole line runs in constant
// stack depth, on a thread with a 1 MiB stack.
TEST_F(RunnerTests, ChainDeferredMillionLinksUnderOneMebibyteStack) {
  bool finished = false;
  int last = 0;
  runOnStackOf(1 << 20, [&] {
    std::vector<Deferred<int>> ds(kChainLinks);
    std::vector<Deferred<void>> afterLink;
    afterLink.reserve(kChainLinks);
    for (int i = 0; i + 1 < kChainLinks; ++i) {
      afterLink.push_back(ds[i].chainDeferred(ds[i + 1]));
    }
    ds[0].callback(42);
    last = successResultOf(ds[kChainLinks - 1]);
    // D14: every link but the last is left carrying None.
    successResultOf(afterLink[0]);
    finished = true;
  });
  EXPECT_TRUE(finished);
  EXPECT_EQ(last, 42);
}

// The same line built the other way round: each Deferred is already fired
// when chainDeferred() is called on it, except that the links are added
// from the end, so that each addition fires a chain that itself fires the
// rest of the line.
TEST_F(RunnerTests, ChainDeferredLinksAddedToFiredDeferredsUnderOneMebibyteStack) {
  int last = 0;
  runOnStackOf(1 << 20, [&] {
    std::vector<Deferred<int>> ds(kChainLinks);
    for (int i = kChainLinks - 2; i >= 1; --i) (void)ds[i].chainDeferred(ds[i + 1]);
    ds[0].callback(7);
    (void)ds[0].chainDeferred(ds[1]);  // ds[0] is fired and idle: runs now
    last = successResultOf(ds[kChainLinks - 1]);
  });
  EXPECT_EQ(last, 7);
}

// test_boundedStackDepth's measure applied to chainDeferred: the last
// Deferred's callback runs at the same stack depth whether the result went
// through one link or a thousand.
std::uintptr_t depthThroughChainDeferred(int links) {
  std::vector<Deferred<int>> ds(links + 1);
  for (int i = 0; i < links; ++i) (void)ds[i].chainDeferred(ds[i + 1]);
  return callbackDepth(/*first=*/ds[0], /*last=*/ds[links]);
}

TEST_F(RunnerTests, ChainDeferredBoundedStackDepth) {
  std::uintptr_t shallow = depthThroughChainDeferred(2);
  std::uintptr_t deep = depthThroughChainDeferred(1000);
  ASSERT_NE(shallow, 0u);
  EXPECT_EQ(shallow, deep);
}

TEST_F(RunnerTests, CancelForwardsThroughLongNestedChain) {
  constexpr int kCount = 100'000;
  std::vector<Deferred<int>> ds = nestedChain(kCount);
  ds[0].cancel();  // reaches ds[kCount-1], the only unfired one
  EXPECT_TRUE(failureResultOf(ds[0]).check<CancelledError>());
}

}  // namespace
}  // namespace torsion
