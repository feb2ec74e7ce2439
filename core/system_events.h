// torsion/core/system_events.h: three-phase system event triggers.
//
// Mirrors twisted.internet.base._ThreePhaseEvent and the reactor's
// addSystemEventTrigger / removeSystemEventTrigger / fireSystemEvent. An
// event ("startup", "shutdown", or any name) runs its "before" triggers,
// then its "during" triggers, then its "after" triggers, each phase in the
// order the triggers were added. Triggers run once: firing the event again
// runs only triggers added since. A trigger added while the event fires, to
// the running phase or a later one, runs in that same firing.
//
// A "before" trigger may hold the event: while any EventHold it took is
// alive, "during" waits (the reactor keeps running timers and I/O
// meanwhile). This is how a "before shutdown" trigger that returns an
// unfired Deferred delays shutdown; Reactor::addSystemEventTrigger adapts
// Deferred-returning callables onto EventHold.
//
//   SystemEvents events;
//   events.add(Phase::kBefore, "shutdown", [](EventHold hold) {
//     flushAsync([hold = std::move(hold)]() mutable { hold.release(); });
//   });
//   events.add(Phase::kDuring, "shutdown", [] { closeFiles(); });
//   events.fire("shutdown");   // closeFiles() runs once the flush is done
//
// Exceptions thrown by triggers are logged (base/log.h) and the remaining
// triggers still run. Thread-safety: none; the reactor thread only.
#ifndef TORSION_CORE_SYSTEM_EVENTS_H_
#define TORSION_CORE_SYSTEM_EVENTS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace torsion {

enum class Phase { kBefore, kDuring, kAfter };

// "before", "during", "after".
std::string_view phaseName(Phase phase);

// Identifies one added trigger, for removeSystemEventTrigger. Opaque.
struct TriggerId {
  std::uint64_t value = 0;
  friend bool operator==(TriggerId, TriggerId) = default;
};

// Keeps one firing of an event in its "before" phase until released (or
// destroyed). Move-only; releasing twice is harmless.
class EventHold {
 public:
  EventHold() = default;
  EventHold(EventHold&&) noexcept = default;
  EventHold& operator=(EventHold&& other) noexcept;
  EventHold(const EventHold&) = delete;
  EventHold& operator=(const EventHold&) = delete;
  ~EventHold() { release(); }

  void release();

 private:
  friend class SystemEvents;
  struct State;
  explicit EventHold(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class SystemEvents {
 public:
  // Plain triggers, and "before" triggers that may hold the event.
  using Trigger = absl::AnyInvocable<void()>;
  using HoldingTrigger = absl::AnyInvocable<void(EventHold)>;

  SystemEvents();
  ~SystemEvents();
  SystemEvents(const SystemEvents&) = delete;
  SystemEvents& operator=(const SystemEvents&) = delete;

  TriggerId add(Phase phase, std::string_view event, Trigger f);
  // A holding trigger in the "during" or "after" phase gets a hold that
  // holds nothing (only "before" can delay an event).
  TriggerId add(Phase phase, std::string_view event, HoldingTrigger f);

  // Removes a trigger that has not run. Throws std::invalid_argument
  // (Twisted's ValueError) for an unknown or already-removed id. Removing a
  // "before" trigger that already ran while its event is still in the
  // "before" phase is accepted silently (Twisted warns).
  void remove(TriggerId id);

  // Fires `event`. `firstDuring`, if set, runs before the event's own
  // "during" triggers (the reactor's crash/startRunning step). Returns
  // without having run "during" when a "before" trigger holds the event.
  // Firing an event that is still waiting for holds does nothing: the
  // waiting firing will run every "during" and "after" trigger anyway.
  void fire(std::string_view event, absl::AnyInvocable<void()> firstDuring = {});

  // Number of triggers not yet run, for the dirty-reactor check in tests.
  std::size_t pendingTriggers(std::string_view event) const;

 private:
  struct Entry {
    TriggerId id;
    HoldingTrigger f;
  };
  struct Event {
    std::deque<Entry> phases[3];
    bool inBefore = false;
    std::vector<std::uint64_t> finishedBefore;
    absl::AnyInvocable<void()> firstDuring;
  };
  struct Located {
    std::string event;
    Phase phase;
  };

  friend struct EventHold::State;
  Event& eventNamed(std::string_view name);
  void runTrigger(std::string_view event, Phase phase, Entry& entry, EventHold hold);
  void continueFiring(const std::string& event);

  std::map<std::string, Event, std::less<>> events_;
  std::map<std::uint64_t, Located> where_;
  std::uint64_t nextId_ = 1;
  // Lets holds outlive this object harmlessly.
  std::shared_ptr<SystemEvents*> self_;
};

}  // namespace torsion

#endif  // TORSION_CORE_SYSTEM_EVENTS_H_
