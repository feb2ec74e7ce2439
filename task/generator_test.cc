// Tests for task::Generator, the co_yield generator that Cooperator drives
// (Python generator semantics: lazy start, exceptions from next()).
#include "task/generator.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace torsion::task {
namespace {

Generator<int> countTo(int n, int* started = nullptr) {
  if (started) ++*started;
  for (int i = 1; i <= n; ++i) co_yield i;
}

TEST(GeneratorTest, LazyStartAndNext) {
  int started = 0;
  Generator<int> g = countTo(2, &started);
  EXPECT_EQ(started, 0);  // nothing runs before next()
  EXPECT_THROW(g.value(), std::logic_error);
  ASSERT_TRUE(g.next());
  EXPECT_EQ(started, 1);
  EXPECT_EQ(g.value(), 1);
  ASSERT_TRUE(g.next());
  EXPECT_EQ(g.value(), 2);
  EXPECT_FALSE(g.next());
  EXPECT_TRUE(g.done());
  EXPECT_FALSE(g.next());
  EXPECT_THROW(g.value(), std::logic_error);
}

TEST(GeneratorTest, RangeFor) {
  std::vector<int> seen;
  for (int i : countTo(4)) seen.push_back(i);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4}));
  std::vector<int> none;
  for (int i : countTo(0)) none.push_back(i);
  EXPECT_TRUE(none.empty());
}

Generator<std::string> failsAfterOne() {
  co_yield "one";
  throw std::runtime_error("broken");
}

TEST(GeneratorTest, ExceptionFromNext) {
  Generator<std::string> g = failsAfterOne();
  ASSERT_TRUE(g.next());
  EXPECT_EQ(g.value(), "one");
  EXPECT_THROW(g.next(), std::runtime_error);
  EXPECT_TRUE(g.done());
  EXPECT_FALSE(g.next());
}

Generator<std::unique_ptr<int>> moveOnly() { co_yield std::make_unique<int>(7); }

TEST(GeneratorTest, MoveOnlyValuesAndMoves) {
  Generator<std::unique_ptr<int>> g = moveOnly();
  Generator<std::unique_ptr<int>> h = std::move(g);
  EXPECT_TRUE(g.done());
  EXPECT_THROW(g.next(), std::logic_error);
  ASSERT_TRUE(h.next());
  std::unique_ptr<int> v = std::move(h.value());
  EXPECT_EQ(*v, 7);
}

// Destroying a suspended generator runs its locals' destructors.
Generator<int> holds(std::shared_ptr<int> token) {
  std::shared_ptr<int> local = token;
  co_yield 1;
  co_yield 2;
}

TEST(GeneratorTest, DestroySuspended) {
  auto token = std::make_shared<int>(0);
  {
    Generator<int> g = holds(token);
    ASSERT_TRUE(g.next());
    EXPECT_GE(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace torsion::task
