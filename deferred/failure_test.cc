// Tests of Failure and Outcome (twisted/test/test_failure.py behaviours
// F1-F8, adapted: no frames, exception_ptr identity instead of `is`).
#include "deferred/failure.h"

#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "absl/status/status.h"
#include "deferred/errors.h"
#include "deferred/outcome.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

class BaseError : public std::runtime_error {
 public:
  BaseError() : std::runtime_error("base") {}
};
class DerivedError : public BaseError {};
struct NotAnException {
  int code;
};

// twisted/test/test_failure.py FailureTests.test_ConstructionFails
TEST(FailureTest, ConstructionFails) {
  EXPECT_THROW(Failure::current(), NoCurrentExceptionError);
  EXPECT_THROW(Failure(std::exception_ptr()), std::invalid_argument);
}

// F1: Failure() inside a catch block captures the current exception.
TEST(FailureTest, CurrentInsideCatch) {
  try {
    throw std::out_of_range("idx");
  } catch (...) {
    Failure f = Failure::current();
    EXPECT_TRUE(f.check<std::out_of_range>());
    EXPECT_EQ(f.getErrorMessage(), "idx");
  }
}

// twisted/test/test_failure.py FailureTests.test_failAndCatch (check)
TEST(FailureTest, CheckMatchesByHierarchy) {
  Failure f{DerivedError()};
  EXPECT_TRUE(f.check<DerivedError>());
  EXPECT_TRUE(f.check<BaseError>());
  EXPECT_TRUE(f.check<std::exception>());
  EXPECT_FALSE(f.check<std::logic_error>());
  EXPECT_TRUE((f.check<std::logic_error, BaseError>()));
}

// twisted/test/test_failure.py FailureTests.test_trapRaisesWrappedException:
// no match rethrows the ORIGINAL exception object.
TEST(FailureTest, TrapRaisesWrappedException) {
  Failure f{std::range_error("original")};
  try {
    f.trap<std::logic_error, std::invalid_argument>();
    FAIL() << "expected a rethrow";
  } catch (const std::invalid_argument&) {
    FAIL() << "wrong type";
  } catch (const std::range_error& e) {
    EXPECT_EQ(&e, f.value<std::range_error>());  // same object
  }
}

// F4: trap returns which listed type matched.
TEST(FailureTest, TrapReturnsMatchedIndex) {
  Failure f{DerivedError()};
  EXPECT_EQ((f.trap<std::logic_error, BaseError>()), 1u);
  EXPECT_EQ((f.trap<DerivedError, BaseError>()), 0u);
}

// F2/F6: value access and messages.
TEST(FailureTest, ValueAndMessage) {
  Failure f{std::runtime_error("boom")};
  ASSERT_NE(f.value<std::runtime_error>(), nullptr);
  EXPECT_STREQ(f.value<std::runtime_error>()->what(), "boom");
  EXPECT_EQ(f.value<std::logic_error>(), nullptr);
  EXPECT_EQ(f.getErrorMessage(), "boom");
  EXPECT_EQ(f.typeName(), "std::runtime_error");
}

// F7: the frameless brief traceback format.
TEST(FailureTest, BriefTraceback) {
  Failure f{std::runtime_error("boom")};
  EXPECT_EQ(f.getBriefTraceback(),
            "Traceback (failure with no frames): std::runtime_error: boom\n");
}

namespace shortname {
struct Outer {
  struct Inner : std::runtime_error {
    Inner() : std::runtime_error("inner") {}
  };
};
namespace {
struct Hidden : std::runtime_error {
  Hidden() : std::runtime_error("hidden") {}
};
}  // namespace
}  // namespace shortname

// Twisted's failure.type.__name__: the type's own name, without namespaces
// or enclosing classes (typeName() keeps them).
TEST(FailureTest, ShortTypeName) {
  EXPECT_EQ(Failure(std::runtime_error("x")).shortTypeName(), "runtime_error");
  EXPECT_EQ(Failure(CancelledError()).shortTypeName(), "CancelledError");
  EXPECT_EQ(Failure(shortname::Outer::Inner()).shortTypeName(), "Inner");
  EXPECT_EQ(Failure(shortname::Hidden()).shortTypeName(), "Hidden");
  EXPECT_NE(Failure(shortname::Hidden()).typeName().find("(anonymous namespace)::Hidden"),
            std::string::npos);
  EXPECT_EQ(Failure::of(42).shortTypeName(), "int");
  EXPECT_EQ(
      Failure::of(std::map<int, std::vector<int>>()).shortTypeName(),
      "map<int, std::vector<int, std::allocator<int> >, std::less<int>, "
      "std::allocator<std::pair<int const, std::vector<int, std::allocator<int> > > > >");
  EXPECT_THROW((void)Failure().shortTypeName(), std::logic_error);
}

// Twisted's str(failure) (twisted/python/failure.py, Failure.__str__):
// "[Failure instance: " + getBriefTraceback() + "]"; also what operator<<
// prints. Twisted 22.4, str(Failure(ValueError('some text'))):
// "[Failure instance: Traceback (failure with no frames): <class
// 'ValueError'>: some text\n]".
TEST(FailureTest, StrIsTwistedsFailureInstanceText) {
  Failure f{std::invalid_argument("some text")};
  EXPECT_EQ(f.str(),
            "[Failure instance: Traceback (failure with no frames): "
            "std::invalid_argument: some text\n]");
  std::ostringstream out;
  out << f;
  EXPECT_EQ(out.str(), f.str());
  // An empty Failure prints, rather than throwing from operator<<.
  std::ostringstream empty;
  empty << Failure();
  EXPECT_EQ(empty.str(), "[Failure instance: empty]");
}

// F8: anything thrown can be wrapped (throw 42).
TEST(FailureTest, NonStdExceptionThrows) {
  try {
    throw 42;
  } catch (...) {
    Failure f = Failure::current();
    EXPECT_EQ(f.typeName(), "int");
    EXPECT_EQ(f.getErrorMessage(), "42");
    EXPECT_TRUE(f.check<int>());
    EXPECT_FALSE(f.check<std::exception>());
    ASSERT_NE(f.value<int>(), nullptr);
    EXPECT_EQ(*f.value<int>(), 42);
  }
  Failure s = Failure::of(std::string("text"));
  EXPECT_EQ(s.getErrorMessage(), "text");
  Failure o = Failure::of(NotAnException{7});
  EXPECT_EQ(o.value<NotAnException>()->code, 7);
  EXPECT_NE(o.getErrorMessage().find("NotAnException"), std::string::npos)
      << o.getErrorMessage();
}

TEST(FailureTest, CarriesStatus) {
  Failure f = Failure::fromStatus(absl::NotFoundError("no such key"));
  EXPECT_TRUE(f.check<StatusError>());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.status().message(), "no such key");
  EXPECT_NE(f.getErrorMessage().find("no such key"), std::string::npos);
  EXPECT_THROW(Failure::fromStatus(absl::OkStatus()), std::invalid_argument);
  Failure other{std::runtime_error("x")};
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(other.status().message(), "std::runtime_error: x");
}

TEST(FailureTest, IdentityAndRaise) {
  Failure a{std::runtime_error("x")};
  Failure b = a;
  Failure c{std::runtime_error("x")};
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == c);
  EXPECT_THROW(a.raiseException(), std::runtime_error);
}

TEST(FailureTest, EmptyFailureAccessThrows) {
  Failure empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_THROW(empty.exception(), std::logic_error);
  EXPECT_THROW(empty.typeName(), std::logic_error);
}

// check/trap/value match exactly what a catch clause matches (they ask the
// runtime's matcher without rethrowing): ambiguous, private and virtual
// bases, subobject addresses, thrown pointers and qualification conversions.
struct Root : std::exception {};
struct LeftRoot : Root {};
struct RightRoot : Root {};
struct TwoRoots : LeftRoot, RightRoot {};  // Root (and std::exception) ambiguous
struct VirtualBase {
  virtual ~VirtualBase() = default;
  int v = 7;
};
struct VirtualLeft : virtual VirtualBase {};
struct VirtualRight : virtual VirtualBase {};
struct Diamond : VirtualLeft, VirtualRight {};
struct Tag {
  int tag = 3;
};
struct TagThenError : Tag, std::runtime_error {
  TagThenError() : std::runtime_error("second base") {}
};
class Hidden : private std::runtime_error {
 public:
  Hidden() : std::runtime_error("hidden") {}
};

template <typename E>
const void* caughtAt(const Failure& f) {
  try {
    f.raiseException();
  } catch (const E& e) {
    return &e;
  } catch (...) {
  }
  return nullptr;
}

template <typename E>
void expectMatchesLikeCatch(const Failure& f, bool expected) {
  SCOPED_TRACE(f.typeName() + " caught as " + typeid(E).name());
  EXPECT_EQ(f.check<E>(), expected);
  EXPECT_EQ(caughtAt<E>(f) != nullptr, expected);  // the test's own premise
  if constexpr (std::is_class_v<E>) {
    EXPECT_EQ(static_cast<const void*>(f.value<E>()), caughtAt<E>(f));
  }
}

TEST(FailureTest, TypeTestsFollowCatchRules) {
  Failure two = Failure::of(TwoRoots());
  expectMatchesLikeCatch<LeftRoot>(two, true);
  expectMatchesLikeCatch<RightRoot>(two, true);
  expectMatchesLikeCatch<Root>(two, false);
  expectMatchesLikeCatch<std::exception>(two, false);
  EXPECT_THROW(two.trap<Root>(), TwoRoots);

  Failure diamond = Failure::of(Diamond());
  expectMatchesLikeCatch<VirtualBase>(diamond, true);
  expectMatchesLikeCatch<VirtualRight>(diamond, true);
  EXPECT_EQ(diamond.value<VirtualBase>()->v, 7);

  Failure second = Failure::of(TagThenError());
  expectMatchesLikeCatch<std::runtime_error>(second, true);
  expectMatchesLikeCatch<Tag>(second, true);
  EXPECT_STREQ(second.value<std::exception>()->what(), "second base");
  EXPECT_EQ(second.value<Tag>()->tag, 3);

  expectMatchesLikeCatch<std::runtime_error>(Failure::of(Hidden()), false);
  expectMatchesLikeCatch<Hidden>(Failure::of(Hidden()), true);

  static DerivedError derived;
  Failure pointer = Failure::of(&derived);
  expectMatchesLikeCatch<DerivedError*>(pointer, true);
  expectMatchesLikeCatch<BaseError*>(pointer, true);
  expectMatchesLikeCatch<const BaseError*>(pointer, true);
  expectMatchesLikeCatch<std::logic_error*>(pointer, false);
  expectMatchesLikeCatch<DerivedError>(pointer, false);

  Failure text = Failure::of("text");
  expectMatchesLikeCatch<const char*>(text, true);
  expectMatchesLikeCatch<char*>(text, false);
  expectMatchesLikeCatch<std::string>(text, false);

  Failure number = Failure::of(42);
  expectMatchesLikeCatch<int>(number, true);
  expectMatchesLikeCatch<const int>(number, true);
  expectMatchesLikeCatch<long>(number, false);
  expectMatchesLikeCatch<unsigned>(number, false);

  Failure null = Failure::of(nullptr);
  expectMatchesLikeCatch<std::nullptr_t>(null, true);
  expectMatchesLikeCatch<int*>(null, true);
  expectMatchesLikeCatch<int>(null, false);
}

TEST(OutcomeTest, ValueAndFailure) {
  Outcome<int> v = 3;
  EXPECT_TRUE(v.hasValue());
  EXPECT_EQ(v.value(), 3);
  EXPECT_THROW(v.failure(), std::logic_error);
  Outcome<int> f = std::runtime_error("bad");
  EXPECT_TRUE(f.isFailure());
  EXPECT_THROW(f.value(), std::runtime_error);  // rethrows the original
  Outcome<void> ok;
  EXPECT_TRUE(ok.hasValue());
  ok.value();
  Outcome<void> err = Failure(std::logic_error("l"));
  EXPECT_THROW(err.value(), std::logic_error);
}

}  // namespace
}  // namespace torsion
