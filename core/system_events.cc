#include "core/system_events.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "base/log.h"

namespace torsion {

// One firing's "before" phase. Every EventHold shares it, and so does the
// firing itself until all "before" triggers ran: when the last owner lets
// go, the event continues with "during". Holding a weak pointer to the
// owner lets a hold outlive the SystemEvents (or reactor) harmlessly.
struct EventHold::State {
  std::weak_ptr<SystemEvents*> owner;
  std::string event;
  ~State();
};

EventHold& EventHold::operator=(EventHold&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
  }
  return *this;
}

void EventHold::release() {
  // Move out first: continuing the event may run code that destroys us.
  std::shared_ptr<State> state = std::move(state_);
  state.reset();
}

std::string_view phaseName(Phase phase) {
  switch (phase) {
    case Phase::kBefore:
      return "before";
    case Phase::kDuring:
      return "during";
    case Phase::kAfter:
      return "after";
  }
  return "?";
}

namespace {

int phaseIndex(Phase phase) {
  int i = static_cast<int>(phase);
  if (i < 0 || i > 2) {
    throw std::invalid_argument(
        "addSystemEventTrigger: phase must be before, during or after (got " +
        std::to_string(i) + ")");
  }
  return i;
}

}  // namespace

SystemEvents::SystemEvents() : self_(std::make_shared<SystemEvents*>(this)) {}

SystemEvents::~SystemEvents() = default;

SystemEvents::Event& SystemEvents::eventNamed(std::string_view name) {
  auto it = events_.find(name);
  if (it == events_.end()) {
    it = events_.emplace(std::string(name), Event{}).first;
  }
  return it->second;
}

TriggerId SystemEvents::add(Phase phase, std::string_view event, Trigger f) {
  return add(phase, event,
             HoldingTrigger([f = std::move(f)](EventHold) mutable { f(); }));
}

TriggerId SystemEvents::add(Phase phase, std::string_view event, HoldingTrigger f) {
  int i = phaseIndex(phase);
  TriggerId id{nextId_++};
  eventNamed(event).phases[i].push_back(Entry{id, std::move(f)});
  where_.emplace(id.value, Located{std::string(event), phase});
  return id;
}

void SystemEvents::remove(TriggerId id) {
  auto it = where_.find(id.value);
  if (it == where_.end()) {
    for (const auto& [name, e] : events_) {
      if (e.inBefore && std::find(e.finishedBefore.begin(), e.finishedBefore.end(),
                                  id.value) != e.finishedBefore.end()) {
        // Twisted accepts this with a DeprecationWarning.
        log::warn("reactor", "removeSystemEventTrigger: the \"before " + name +
                                 "\" trigger already ran; removing it is a "
                                 "no-op");
        return;
      }
    }
    throw std::invalid_argument("removeSystemEventTrigger: no pending trigger with id " +
                                std::to_string(id.value) +
                                " (already run, removed, or never added)");
  }
  Event& e = eventNamed(it->second.event);
  std::deque<Entry>& list = e.phases[phaseIndex(it->second.phase)];
  where_.erase(it);
  auto entry =
      std::find_if(list.begin(), list.end(), [&](const Entry& x) { return x.id == id; });
  if (entry != list.end()) {
    // Destroy the callable after the list is consistent: its destructor may
    // add or remove triggers.
    HoldingTrigger f = std::move(entry->f);
    list.erase(entry);
  }
}

void SystemEvents::runTrigger(std::string_view event, Phase phase, Entry& entry,
                              EventHold hold) {
  try {
    entry.f(std::move(hold));
  } catch (...) {
    log::err("reactor",
             "Unhandled error in \"" + std::string(phaseName(phase)) + " " +
                 std::string(event) + "\" system event trigger",
             std::current_exception());
  }
}

void SystemEvents::fire(std::string_view event, absl::AnyInvocable<void()> firstDuring) {
  Event& e = eventNamed(event);
  if (e.inBefore) return;
  e.inBefore = true;
  e.finishedBefore.clear();
  e.firstDuring = std::move(firstDuring);
  auto state = std::make_shared<EventHold::State>();
  state->owner = self_;
  state->event = std::string(event);
  std::deque<Entry>& before = e.phases[0];
  // Popping one at a time lets triggers added meanwhile run in this firing,
  // and lets a removed trigger that has not run yet stay unrun.
  while (!before.empty()) {
    Entry entry = std::move(before.front());
    before.pop_front();
    where_.erase(entry.id.value);
    e.finishedBefore.push_back(entry.id.value);
    runTrigger(event, Phase::kBefore, entry, EventHold(state));
  }
  // Our own share of the firing: if no hold is left, "during" runs now.
  state.reset();
}

EventHold::State::~State() {
  if (std::shared_ptr<SystemEvents*> events = owner.lock()) {
    (*events)->continueFiring(event);
  }
}

void SystemEvents::continueFiring(const std::string& event) {
  Event& e = eventNamed(event);
  e.inBefore = false;
  e.finishedBefore.clear();
  if (e.firstDuring) {
    absl::AnyInvocable<void()> first = std::move(e.firstDuring);
    e.firstDuring = nullptr;
    try {
      first();
    } catch (...) {
      log::err("reactor", "Unhandled error while firing \"" + event + "\"",
               std::current_exception());
    }
  }
  for (Phase phase : {Phase::kDuring, Phase::kAfter}) {
    std::deque<Entry>& list = e.phases[phaseIndex(phase)];
    while (!list.empty()) {
      Entry entry = std::move(list.front());
      list.pop_front();
      where_.erase(entry.id.value);
      runTrigger(event, phase, entry, EventHold());
    }
  }
}

std::size_t SystemEvents::pendingTriggers(std::string_view event) const {
  auto it = events_.find(event);
  if (it == events_.end()) return 0;
  std::size_t n = 0;
  for (const auto& list : it->second.phases) n += list.size();
  return n;
}

}  // namespace torsion
