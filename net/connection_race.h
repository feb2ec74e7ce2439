// torsion/net/connection_race.h: racing connection attempts to several
// addresses of one host, RFC 8305 ("Happy Eyeballs v2") style (internal).
//
// What the attempt loop of Twisted's HostnameEndpoint.connect does, with
// RFC 8305's two refinements Twisted lacks: the addresses alternate
// between families, IPv6 first (section 4), and a failed attempt starts
// the next one at once instead of waiting out the delay (section 5).
//
//   auto race = std::make_shared<internal::ConnectionRace>(
//       clock, Seconds(0.25), interleaveFamilies(addresses),
//       [&](const Address& a) { return tcpEndpointFor(a).connect(factory); },
//       internal::ConnectionRace::Outcomes{onWin, onAllFailed});
//   race->start();
//
// Lifetime: the owner keeps the race; its timer and the attempts hold it
// weakly. Thread-safety: the clock's thread only.
#ifndef TORSION_NET_CONNECTION_RACE_H_
#define TORSION_NET_CONNECTION_RACE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "base/delayed_call.h"
#include "base/reactor_time.h"
#include "deferred/deferred.h"
#include "net/address.h"
#include "net/protocol.h"

namespace torsion::net::internal {

// `addresses` reordered so the families alternate, starting with IPv6;
// within a family the order is kept (RFC 8305 section 4, with a First
// Address Family Count of one).
std::vector<Address> interleaveFamilies(const std::vector<Address>& addresses);

// One address that could not be connected to, and why.
struct AttemptFailure {
  Address address;
  Failure failure;
};

class ConnectionRace : public std::enable_shared_from_this<ConnectionRace> {
 public:
  // Connects to one address; the Deferred fires with the connected
  // protocol or fails, and cancel() on it stops the attempt.
  using Attempt = absl::AnyInvocable<Deferred<std::shared_ptr<Protocol>>(const Address&)>;
  struct Outcomes {
    // The first attempt to connect; every other one is cancelled first.
    absl::AnyInvocable<void(std::shared_ptr<Protocol>)> won;
    // Every attempt failed; the failures in the order they came.
    absl::AnyInvocable<void(std::vector<AttemptFailure>)> allFailed;
  };

  // `addresses` must not be empty; they are tried in the order given.
  ConnectionRace(ReactorTime& clock, Seconds attemptDelay, std::vector<Address> addresses,
                 Attempt attempt, Outcomes outcomes);

  // Starts the first attempt now, the next one `attemptDelay` later or as
  // soon as the latest one fails, and so on.
  void start();

  // Stops the timer and cancels every attempt still running; neither
  // outcome is reported. Nothing once an outcome was.
  void cancel();

  // Attempts started so far / still running (for logs and tests).
  std::size_t attemptsStarted() const { return next_; }
  std::size_t attemptsRunning() const { return running_.size(); }

 private:
  struct Running {
    std::uint64_t id;
    std::optional<Deferred<void>> attempt;  // empty while attempt() runs
  };

  void startNext();
  void ended(std::uint64_t id, const Address& address,
             Outcome<std::shared_ptr<Protocol>> outcome);
  // The race is decided: no timer, no attempt left running.
  void stopEverything();

  ReactorTime& clock_;
  Seconds attemptDelay_;
  std::vector<Address> addresses_;
  Attempt attempt_;
  Outcomes outcomes_;
  std::size_t next_ = 0;        // index of the next address to try
  std::uint64_t latestId_ = 0;  // id of the latest attempt started
  std::vector<Running> running_;
  std::vector<AttemptFailure> failures_;
  DelayedCall timer_;
  bool decided_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_CONNECTION_RACE_H_
