#include "base/log.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>

namespace torsion::log {
namespace {

struct Registry {
  std::mutex mutex;
  ObserverId nextId = 1;
  // shared_ptr so that emit() can call observers without holding the mutex:
  // an observer that logs again (or is slow) must not block other threads.
  std::vector<std::pair<ObserverId, std::shared_ptr<Observer>>> observers;
};

// Leaked on purpose: Deferreds destroyed during static destruction may still
// report unhandled errors, and must find a live registry.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "?";
}

}  // namespace

ObserverId addObserver(Observer observer) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  ObserverId id = r.nextId++;
  r.observers.emplace_back(id, std::make_shared<Observer>(std::move(observer)));
  return id;
}

void removeObserver(ObserverId id) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::erase_if(r.observers, [id](const auto& entry) { return entry.first == id; });
}

void emit(Event event) {
  Registry& r = registry();
  std::vector<std::shared_ptr<Observer>> snapshot;
  {
    std::lock_guard lock(r.mutex);
    snapshot.reserve(r.observers.size());
    for (auto& entry : r.observers) snapshot.push_back(entry.second);
  }
  if (snapshot.empty()) {
    if (event.severity != Severity::kInfo) {
      std::fprintf(stderr, "[%s] %s: %s\n", event.system.c_str(),
                   severityName(event.severity), event.message.c_str());
    }
    return;
  }
  for (auto& observer : snapshot) (*observer)(event);
}

void msg(std::string_view system, std::string message) {
  emit(Event{Severity::kInfo, std::string(system), std::move(message), nullptr});
}

void warn(std::string_view system, std::string message) {
  emit(Event{Severity::kWarning, std::string(system), std::move(message), nullptr});
}

void err(std::string_view system, std::string message, std::exception_ptr failure) {
  emit(Event{Severity::kError, std::string(system), std::move(message),
             std::move(failure)});
}

LogCapture::LogCapture()
    : id_(addObserver([this](const Event& e) {
        std::lock_guard lock(mutex_);
        events_.push_back(e);
      })) {}

LogCapture::~LogCapture() { removeObserver(id_); }

std::vector<Event> LogCapture::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<Event> LogCapture::errors() const {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  for (const Event& e : events_) {
    if (e.severity == Severity::kError) out.push_back(e);
  }
  return out;
}

std::vector<Event> LogCapture::flushErrors() {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  std::vector<Event> kept;
  for (Event& e : events_) {
    (e.severity == Severity::kError ? out : kept).push_back(std::move(e));
  }
  events_ = std::move(kept);
  return out;
}

}  // namespace torsion::log
