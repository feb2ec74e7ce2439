// InlineBox: where objects live, and that every object built is destroyed
// exactly once across moves, resets and destruction of the box.
#include "deferred/internal/inline_box.h"

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace torsion::internal {
namespace {

constexpr std::size_t kSize = 32;

struct Info : BoxOps {
  int tag;
};
template <typename T>
constexpr Info kInfo{BoxedAs<T, kSize>::kOps, 0};

using Box = InlineBox<kSize, Info>;

// Counts live instances.
struct Counted {
  static inline int live = 0;
  std::string text;
  explicit Counted(std::string t) : text(std::move(t)) { ++live; }
  Counted(Counted&& other) noexcept : text(std::move(other.text)) { ++live; }
  ~Counted() { --live; }
};
struct Big {
  char bytes[kSize + 1];
};
struct ThrowingMove {
  ThrowingMove() = default;
  ThrowingMove(ThrowingMove&&) noexcept(false) {}
};

TEST(InlineBoxTest, WhereObjectsLive) {
  static_assert(kFitsInlineBox<int, kSize>);
  static_assert(kTrivialInlineBox<int, kSize>);
  static_assert(kFitsInlineBox<Counted, kSize>);
  static_assert(!kTrivialInlineBox<Counted, kSize>);
  static_assert(!kFitsInlineBox<Big, kSize>);
  static_assert(!kFitsInlineBox<ThrowingMove, kSize>);
  EXPECT_TRUE(kInfo<int>.trivial);
  EXPECT_FALSE(kInfo<Counted>.trivial);
  EXPECT_FALSE(kInfo<Big>.trivial);  // on the heap: moving copies the pointer
}

TEST(InlineBoxTest, EmplaceGetTake) {
  Box box;
  EXPECT_TRUE(box.empty());
  box.emplace<int>(&kInfo<int>, 7);
  EXPECT_EQ(box.info(), &kInfo<int>);
  EXPECT_EQ(box.get<int>(), 7);
  EXPECT_EQ(box.take<int>(), 7);
  EXPECT_TRUE(box.empty());
}

TEST(InlineBoxTest, InlineObjectsAreDestroyedOnce) {
  {
    Box a;
    a.emplace<Counted>(&kInfo<Counted>, "x");
    EXPECT_EQ(Counted::live, 1);
    Box b(std::move(a));
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(Counted::live, 1);
    EXPECT_EQ(b.get<Counted>().text, "x");
    Box c;
    c.emplace<Counted>(&kInfo<Counted>, "y");
    c = std::move(b);  // destroys "y", takes "x"
    EXPECT_EQ(Counted::live, 1);
    EXPECT_EQ(c.get<Counted>().text, "x");
    Counted taken = c.take<Counted>();
    EXPECT_EQ(Counted::live, 1);
    EXPECT_EQ(taken.text, "x");
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(InlineBoxTest, HeapObjectsMoveByPointer) {
  using Heap = std::unique_ptr<int>;
  struct Holder {
    Heap p;
    char pad[kSize];
  };
  static_assert(!kFitsInlineBox<Holder, kSize>);
  Box a;
  a.emplace<Holder>(&kInfo<Holder>, Holder{std::make_unique<int>(3), {}});
  const Holder* where = &a.get<Holder>();
  Box b(std::move(a));
  EXPECT_EQ(&b.get<Holder>(), where);  // same heap object
  EXPECT_EQ(*b.get<Holder>().p, 3);
  b.reset();
  EXPECT_TRUE(b.empty());
}

TEST(InlineBoxTest, ResetEmptiesBeforeDestroying) {
  // A destructor that looks at its own box sees it empty (steps' captures
  // may re-enter the chain that holds them).
  struct LooksBack {
    Box* box;
    bool* sawEmpty;
    LooksBack(Box* b, bool* s) : box(b), sawEmpty(s) {}
    LooksBack(LooksBack&& o) noexcept : box(o.box), sawEmpty(o.sawEmpty) {
      o.box = nullptr;
    }
    ~LooksBack() {
      if (box != nullptr) *sawEmpty = box->empty();
    }
  };
  Box box;
  bool sawEmpty = false;
  box.emplace<LooksBack>(&kInfo<LooksBack>, &box, &sawEmpty);
  box.reset();
  EXPECT_TRUE(sawEmpty);
}

}  // namespace
}  // namespace torsion::internal
