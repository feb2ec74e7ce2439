// torsion_dependencies() must keep a parent's own @com_google_absl. The
// parent's definition carries a marker package that torsion's does not: had
// the macro replaced it, this target would not build; the define proves the
// marker came from the parent's repository.
#include "core/reactor.h"
#include "gtest/gtest.h"

namespace {

TEST(OwnAbseil, TorsionBuildsAgainstTheParentsAbseil) {
#ifdef PARENT_WORKSPACE_ABSEIL
  const bool parentsAbseil = true;
#else
  const bool parentsAbseil = false;
#endif
  EXPECT_TRUE(parentsAbseil);
  auto reactor = torsion::Reactor::create();
  EXPECT_TRUE(reactor.ok()) << reactor.status();
}

}  // namespace
