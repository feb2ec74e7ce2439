// Tests of SystemEvents, ported from Twisted's ThreePhaseEventTests
// (src/twisted/test/test_internet.py). A "before" trigger returning an
// unfired Deferred becomes one taking an EventHold and keeping it.
#include "core/system_events.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/log.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using Events = std::vector<std::string>;

class ThreePhaseEventTest : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(capture_.errors().empty()) << "unexpected logged errors";
  }
  SystemEvents event_;
  log::LogCapture capture_;
  Events events_;
  SystemEvents::Trigger append(std::string what) {
    return [this, what] { events_.push_back(what); };
  }
};

// Mirrors test_internet.py ThreePhaseEventTests.test_addInvalidPhase.
TEST_F(ThreePhaseEventTest, AddInvalidPhase) {
  EXPECT_THROW(event_.add(static_cast<Phase>(7), "test", [] {}), std::invalid_argument);
}

// Mirrors ThreePhaseEventTests.test_removeTrigger.
TEST_F(ThreePhaseEventTest, RemoveTrigger) {
  TriggerId id = event_.add(Phase::kBefore, "test", append("before"));
  event_.remove(id);
  EXPECT_EQ(event_.pendingTriggers("test"), 0u);
  event_.fire("test");
  EXPECT_TRUE(events_.empty());
}

// Mirrors ThreePhaseEventTests.test_removeNonexistentTrigger.
TEST_F(ThreePhaseEventTest, RemoveNonexistentTrigger) {
  EXPECT_THROW(event_.remove(TriggerId{12345}), std::invalid_argument);
}

// Mirrors ThreePhaseEventTests.test_removeRemovedTrigger.
TEST_F(ThreePhaseEventTest, RemoveRemovedTrigger) {
  TriggerId id = event_.add(Phase::kBefore, "test", append("before"));
  event_.remove(id);
  EXPECT_THROW(event_.remove(id), std::invalid_argument);
}

// Mirrors ThreePhaseEventTests.test_fireEvent.
TEST_F(ThreePhaseEventTest, FireEvent) {
  event_.add(Phase::kAfter, "test", append("first after"));
  event_.add(Phase::kDuring, "test", append("first during"));
  event_.add(Phase::kBefore, "test", append("first before"));
  event_.add(Phase::kBefore, "test", append("second before"));
  event_.add(Phase::kDuring, "test", append("second during"));
  event_.add(Phase::kAfter, "test", append("second after"));
  EXPECT_TRUE(events_.empty());
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"first before", "second before", "first during",
                             "second during", "first after", "second after"}));
}

// Mirrors ThreePhaseEventTests.test_asynchronousBefore.
TEST_F(ThreePhaseEventTest, AsynchronousBefore) {
  std::optional<EventHold> held;
  event_.add(Phase::kBefore, "test", [&](EventHold hold) { held = std::move(hold); });
  event_.add(Phase::kDuring, "test", append("during"));
  event_.add(Phase::kAfter, "test", append("after"));
  event_.fire("test");
  EXPECT_TRUE(events_.empty());
  held->release();
  EXPECT_EQ(events_, (Events{"during", "after"}));
}

// Twisted test_multipleBeforeReturnDeferred: "during" waits for every hold.
TEST_F(ThreePhaseEventTest, MultipleBeforeReturnDeferred) {
  std::optional<EventHold> first, second;
  event_.add(Phase::kBefore, "test", [&](EventHold hold) { first = std::move(hold); });
  event_.add(Phase::kBefore, "test", [&](EventHold hold) { second = std::move(hold); });
  event_.add(Phase::kDuring, "test", append("during"));
  event_.fire("test");
  first.reset();  // destroying a hold releases it
  EXPECT_TRUE(events_.empty());
  second->release();
  second->release();  // harmless
  EXPECT_EQ(events_, (Events{"during"}));
}

// Mirrors ThreePhaseEventTests.test_beforeTriggerException.
TEST_F(ThreePhaseEventTest, BeforeTriggerException) {
  event_.add(Phase::kBefore, "test", [] { throw std::runtime_error("DummyException"); });
  event_.add(Phase::kBefore, "test", append("before"));
  event_.add(Phase::kDuring, "test", append("during"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"before", "during"}));
  EXPECT_EQ(capture_.flushErrors().size(), 1u);
}

// Mirrors ThreePhaseEventTests.test_duringTriggerException.
TEST_F(ThreePhaseEventTest, DuringTriggerException) {
  event_.add(Phase::kDuring, "test", [] { throw std::runtime_error("DummyException"); });
  event_.add(Phase::kDuring, "test", append("during"));
  event_.add(Phase::kAfter, "test", append("after"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"during", "after"}));
  EXPECT_EQ(capture_.flushErrors().size(), 1u);
}

// Mirrors ThreePhaseEventTests.test_synchronousRemoveAlreadyExecutedBefore
// (Twisted warns; we log a warning and do not throw).
TEST_F(ThreePhaseEventTest, SynchronousRemoveAlreadyExecutedBefore) {
  TriggerId first = event_.add(Phase::kBefore, "test", append("first"));
  event_.add(Phase::kBefore, "test", [&] { event_.remove(first); });
  event_.add(Phase::kBefore, "test", append("second"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"first", "second"}));
  int warnings = 0;
  for (const log::Event& e : capture_.events()) {
    if (e.severity == log::Severity::kWarning) ++warnings;
  }
  EXPECT_EQ(warnings, 1);
}

// Mirrors ThreePhaseEventTests.test_synchronousRemovePendingBefore.
TEST_F(ThreePhaseEventTest, SynchronousRemovePendingBefore) {
  TriggerId first;
  event_.add(Phase::kBefore, "test", [&] { event_.remove(first); });
  first = event_.add(Phase::kBefore, "test", append("first"));
  event_.add(Phase::kBefore, "test", append("second"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"second"}));
}

// Mirrors ThreePhaseEventTests.test_synchronousBeforeRemovesDuring.
TEST_F(ThreePhaseEventTest, SynchronousBeforeRemovesDuring) {
  TriggerId during;
  event_.add(Phase::kBefore, "test", [&] { event_.remove(during); });
  during = event_.add(Phase::kDuring, "test", append("during"));
  event_.add(Phase::kAfter, "test", append("after"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"after"}));
}

// Mirrors ThreePhaseEventTests.test_asynchronousBeforeRemovesDuring.
TEST_F(ThreePhaseEventTest, AsynchronousBeforeRemovesDuring) {
  std::optional<EventHold> held;
  event_.add(Phase::kBefore, "test", [&](EventHold hold) { held = std::move(hold); });
  TriggerId during = event_.add(Phase::kDuring, "test", append("during"));
  event_.add(Phase::kAfter, "test", append("after"));
  event_.fire("test");
  event_.remove(during);
  held.reset();
  EXPECT_EQ(events_, (Events{"after"}));
}

// Mirrors ThreePhaseEventTests
// .test_synchronousBeforeRemovesConspicuouslySimilarDuring.
TEST_F(ThreePhaseEventTest, SynchronousBeforeRemovesConspicuouslySimilarDuring) {
  TriggerId during;
  event_.add(Phase::kBefore, "test", append("trigger"));
  event_.add(Phase::kBefore, "test", [&] { event_.remove(during); });
  during = event_.add(Phase::kDuring, "test", append("trigger"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"trigger"}));
  EXPECT_TRUE(capture_.events().empty());  // no warning
}

// Mirrors ThreePhaseEventTests.test_synchronousRemovePendingDuring.
TEST_F(ThreePhaseEventTest, SynchronousRemovePendingDuring) {
  TriggerId first;
  event_.add(Phase::kDuring, "test", [&] { event_.remove(first); });
  first = event_.add(Phase::kDuring, "test", append("first"));
  event_.add(Phase::kDuring, "test", append("second"));
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"second"}));
}

// Mirrors ThreePhaseEventTests.test_triggersRunOnce.
TEST_F(ThreePhaseEventTest, TriggersRunOnce) {
  event_.add(Phase::kBefore, "test", append("before"));
  event_.add(Phase::kDuring, "test", append("during"));
  event_.add(Phase::kAfter, "test", append("after"));
  event_.fire("test");
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"before", "during", "after"}));
}

// Mirrors ThreePhaseEventTests.test_finishedBeforeTriggersCleared: once
// "during" runs, removing a before-trigger that ran is an error again.
TEST_F(ThreePhaseEventTest, FinishedBeforeTriggersCleared) {
  TriggerId before = event_.add(Phase::kBefore, "test", append("before"));
  bool threw = false;
  event_.add(Phase::kDuring, "test", [&] {
    events_.push_back("during");
    try {
      event_.remove(before);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
  });
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"before", "during"}));
  EXPECT_TRUE(threw);
}

// Twisted SE6: a trigger added while the event fires, to the running phase
// or a later one, runs in the same firing.
TEST_F(ThreePhaseEventTest, TriggersAddedWhileFiringRunInSameFiring) {
  event_.add(Phase::kBefore, "test", [&] {
    event_.add(Phase::kBefore, "test", append("late before"));
    event_.add(Phase::kAfter, "test", append("late after"));
  });
  event_.fire("test");
  EXPECT_EQ(events_, (Events{"late before", "late after"}));
}

// Twisted SE9 (SystemEventTests.test_interactionBetweenDifferentEvents):
// one event held in "before" does not block another.
TEST_F(ThreePhaseEventTest, InteractionBetweenDifferentEvents) {
  std::optional<EventHold> held;
  event_.add(Phase::kBefore, "first", [&](EventHold hold) { held = std::move(hold); });
  event_.add(Phase::kDuring, "first", append("first during"));
  event_.add(Phase::kDuring, "second", append("second during"));
  event_.fire("first");
  event_.fire("second");
  EXPECT_EQ(events_, (Events{"second during"}));
  held.reset();
  EXPECT_EQ(events_, (Events{"second during", "first during"}));
}

TEST_F(ThreePhaseEventTest, FirstDuringRunsBeforeDuringTriggers) {
  event_.add(Phase::kDuring, "test", append("during"));
  event_.fire("test", [&] { events_.push_back("first"); });
  EXPECT_EQ(events_, (Events{"first", "during"}));
}

TEST_F(ThreePhaseEventTest, HoldMayOutliveEvents) {
  std::optional<EventHold> held;
  {
    SystemEvents events;
    events.add(Phase::kBefore, "test", [&](EventHold hold) { held = std::move(hold); });
    events.fire("test");
  }
  held.reset();  // must not touch the destroyed SystemEvents
}

}  // namespace
}  // namespace torsion
