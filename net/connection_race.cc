#include "net/connection_race.h"

#include <utility>

namespace torsion::net::internal {

std::vector<Address> interleaveFamilies(const std::vector<Address>& addresses) {
  std::vector<const Address*> v6;
  std::vector<const Address*> v4;
  for (const Address& a : addresses) {
    (a.kind == Address::Kind::kIPv6 ? v6 : v4).push_back(&a);
  }
  std::vector<Address> out;
  out.reserve(addresses.size());
  for (std::size_t i = 0; i < v6.size() || i < v4.size(); ++i) {
    if (i < v6.size()) out.push_back(*v6[i]);
    if (i < v4.size()) out.push_back(*v4[i]);
  }
  return out;
}

ConnectionRace::ConnectionRace(ReactorTime& clock, Seconds attemptDelay,
                               std::vector<Address> addresses, Attempt attempt,
                               Outcomes outcomes)
    : clock_(clock),
      attemptDelay_(attemptDelay),
      addresses_(std::move(addresses)),
      attempt_(std::move(attempt)),
      outcomes_(std::move(outcomes)) {}

void ConnectionRace::start() { startNext(); }

void ConnectionRace::startNext() {
  if (decided_ || next_ == addresses_.size()) return;
  if (timer_.active()) timer_.cancel();
  const std::uint64_t id = ++latestId_;
  const Address address = addresses_[next_++];
  running_.push_back({id, std::nullopt});
  // The timer first: an attempt that fails at once starts the next one
  // now, and that one must not find a stale timer.
  if (next_ < addresses_.size()) {
    timer_ = clock_.callLater(attemptDelay_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->startNext();
    });
  }
  Deferred<std::shared_ptr<Protocol>> attempt;
  try {
    attempt = attempt_(address);
  } catch (...) {
    attempt = fail<std::shared_ptr<Protocol>>(Failure::current());
  }
  // Weak: the race holds the attempt, not the other way round (cancel()
  // ends every attempt before the owner drops the race).
  Deferred<void> tail = attempt.addBoth(
      [weak = weak_from_this(), id, address](Outcome<std::shared_ptr<Protocol>> outcome) {
        if (auto self = weak.lock()) self->ended(id, address, std::move(outcome));
      });
  for (Running& r : running_) {
    if (r.id == id) r.attempt = std::move(tail);
  }
}

void ConnectionRace::ended(std::uint64_t id, const Address& address,
                           Outcome<std::shared_ptr<Protocol>> outcome) {
  std::erase_if(running_, [id](const Running& r) { return r.id == id; });
  // Decided: an attempt stopEverything() cancelled. It cancels them all at
  // once, so none can connect after the decision.
  if (decided_) return;
  if (!outcome.isFailure()) {
    stopEverything();
    outcomes_.won(std::move(outcome).value());
    return;
  }
  failures_.push_back({address, outcome.failure()});
  // RFC 8305 section 5: the latest attempt failed, so waiting for the
  // delay would only waste time.
  if (id == latestId_ && next_ < addresses_.size()) {
    startNext();
    return;
  }
  if (running_.empty() && next_ == addresses_.size()) {
    decided_ = true;
    if (timer_.active()) timer_.cancel();
    outcomes_.allFailed(std::move(failures_));
  }
}

void ConnectionRace::cancel() {
  if (!decided_) stopEverything();
}

void ConnectionRace::stopEverything() {
  decided_ = true;
  if (timer_.active()) timer_.cancel();
  // Cancelling an attempt runs ended() at once, which edits running_.
  std::vector<Running> running = std::move(running_);
  running_.clear();
  for (Running& r : running) {
    if (r.attempt) r.attempt->cancel();
  }
}

}  // namespace torsion::net::internal
