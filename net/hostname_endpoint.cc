// HostnameEndpoint: one connect() is a HostnameConnect, which owns itself
// from start to result: resolve, race (net/connection_race.h), and the
// deadline that bounds both.
#include "net/hostname_endpoint.h"

#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/reactor.h"
#include "deferred/failure.h"
#include "net/nul_check.h"
#include "net/socket_address.h"

namespace torsion::net {
namespace {

std::string describeFailures(const Address& host,
                             const std::vector<internal::AttemptFailure>& failures) {
  std::string s = "HostnameConnectError: couldn't connect to " +
                  internal::describe(host) + " (" + std::to_string(failures.size()) +
                  " address" + (failures.size() == 1 ? "" : "es") + " tried)";
  for (const internal::AttemptFailure& f : failures) {
    s += "; " + internal::describe(f.address) + ": " + f.failure.getErrorMessage();
  }
  return s;
}

std::string seconds(Seconds s) {
  std::ostringstream out;
  out << s.count();
  return out.str();
}

class HostnameConnect : public std::enable_shared_from_this<HostnameConnect> {
 public:
  HostnameConnect(std::shared_ptr<StreamNetwork> network, ReactorTime& clock,
                  std::shared_ptr<HostnameResolver> resolver, HostnameClientSpec spec,
                  std::shared_ptr<Factory> factory)
      : network_(std::move(network)),
        clock_(clock),
        resolver_(std::move(resolver)),
        spec_(std::move(spec)),
        factory_(std::move(factory)),
        target_(Address::hostname(spec_.host, spec_.port)) {}

  Deferred<std::shared_ptr<Protocol>> start() {
    std::weak_ptr<HostnameConnect> weak = weak_from_this();
    Deferred<std::shared_ptr<Protocol>> result(
        [weak](Deferred<std::shared_ptr<Protocol>>&) {
          if (auto self = weak.lock()) self->cancelled();
        });
    result_ = result;
    // The resolver never sees a name the OS would read cut short.
    if (absl::Status s = internal::checkNoNul("host", spec_.host); !s.ok()) {
      finish(Failure(DNSLookupError("DNSLookupError: " + std::string(s.message()))));
      return result;
    }
    if (spec_.host.empty()) {
      finish(Failure(DNSLookupError("DNSLookupError: empty host name")));
      return result;
    }
    self_ = shared_from_this();
    deadline_ = clock_.callLater(spec_.timeout, [weak] {
      if (auto self = weak.lock()) self->timedOut();
    });
    if (internal::isIPLiteral(spec_.host)) {
      race(std::vector<Address>{internal::isIPv4Literal(spec_.host)
                                    ? Address::ipv4("TCP", spec_.host, spec_.port)
                                    : Address::ipv6("TCP", spec_.host, spec_.port)});
      return result;
    }
    Deferred<void> resolving =
        resolver_->resolveHostName(spec_.host, spec_.port, AddressFamily::kAny)
            .addBoth([weak](Outcome<std::vector<Address>> answer) {
              if (auto self = weak.lock()) self->resolved(std::move(answer));
            });
    if (!finished_ && !resolving.called()) resolving_ = std::move(resolving);
    return result;
  }

 private:
  void resolved(Outcome<std::vector<Address>> answer) {
    resolving_.reset();
    if (finished_) return;  // cancelled or timed out: the late answer is dropped
    if (answer.isFailure()) {
      const Failure& why = answer.failure();
      if (why.check<DNSLookupError>()) {
        finish(why);
      } else {
        finish(Failure(DNSLookupError("DNSLookupError: couldn't find the hostname '" +
                                      spec_.host + "': " + why.getErrorMessage())));
      }
      return;
    }
    std::vector<Address> addresses = std::move(answer).value();
    if (addresses.empty()) {
      finish(Failure(DNSLookupError("DNSLookupError: no results for hostname lookup: " +
                                    spec_.host)));
      return;
    }
    race(internal::interleaveFamilies(addresses));
  }

  void race(std::vector<Address> addresses) {
    std::weak_ptr<HostnameConnect> weak = weak_from_this();
    race_ = std::make_shared<internal::ConnectionRace>(
        clock_, spec_.attemptDelay, std::move(addresses),
        // The race lives inside this object, so `weak` locks whenever the
        // race asks; the check keeps that assumption from turning into a crash.
        [weak](const Address& address) {
          auto self = weak.lock();
          if (!self) throw std::logic_error("HostnameEndpoint: attempt after the end");
          return self->attempt(address);
        },
        internal::ConnectionRace::Outcomes{
            [weak](std::shared_ptr<Protocol> protocol) {
              if (auto self = weak.lock()) self->finish(std::move(protocol));
            },
            [weak](std::vector<internal::AttemptFailure> failures) {
              if (auto self = weak.lock()) {
                self->finish(
                    Failure(HostnameConnectError(self->target_, std::move(failures))));
              }
            }});
    race_->start();
  }

  // One address, as a TCP4ClientEndpoint: its own wrapping factory, its
  // own connect timeout (never later than our deadline), cancellable.
  Deferred<std::shared_ptr<Protocol>> attempt(const Address& address) {
    TcpClientSpec spec = spec_;
    spec.host = address.host;
    spec.port = address.port;
    return TCP4ClientEndpoint(network_, std::move(spec)).connect(factory_);
  }

  void cancelled() { finish(Failure(ConnectingCancelledError(target_))); }

  void timedOut() {
    std::string stage =
        race_ ? std::to_string(race_->attemptsStarted()) + " connection attempt(s) made"
              : "the name was still being resolved";
    finish(Failure(TimeoutError("TimeoutError: connecting to " +
                                internal::describe(target_) + " took longer than " +
                                seconds(spec_.timeout) + " s (" + stage + ")")));
  }

  // Stops whatever still runs, then fires the result: the one way out.
  void finish(Outcome<std::shared_ptr<Protocol>> outcome) {
    if (finished_) return;
    finished_ = true;
    std::shared_ptr<HostnameConnect> keep = std::move(self_);
    if (deadline_.active()) deadline_.cancel();
    if (resolving_) std::exchange(resolving_, std::nullopt)->cancel();
    if (race_) race_->cancel();
    Deferred<std::shared_ptr<Protocol>> result = *std::exchange(result_, std::nullopt);
    if (result.called()) return;  // cancel() errbacks it itself when we do not
    if (outcome.isFailure()) {
      result.errback(outcome.failure());
    } else {
      result.callback(std::move(outcome).value());
    }
  }

  std::shared_ptr<StreamNetwork> network_;
  ReactorTime& clock_;
  std::shared_ptr<HostnameResolver> resolver_;
  HostnameClientSpec spec_;
  std::shared_ptr<Factory> factory_;
  Address target_;

  std::shared_ptr<HostnameConnect> self_;  // from start() to finish()
  std::optional<Deferred<std::shared_ptr<Protocol>>> result_;
  std::optional<Deferred<void>> resolving_;
  std::shared_ptr<internal::ConnectionRace> race_;
  DelayedCall deadline_;
  bool finished_ = false;
};

}  // namespace

HostnameConnectError::HostnameConnectError(const Address& host,
                                           std::vector<internal::AttemptFailure> failures)
    : ConnectError(describeFailures(host, failures)), failures_(std::move(failures)) {}

HostnameEndpoint::HostnameEndpoint(Reactor& reactor, std::string host, std::uint16_t port,
                                   Seconds timeout,
                                   std::optional<std::string> bindAddress,
                                   std::shared_ptr<HostnameResolver> resolver)
    : network_(reactorNetwork(reactor)),
      clock_(reactor),
      resolver_(resolver ? std::move(resolver) : threadedResolver(reactor)) {
  spec_.host = std::move(host);
  spec_.port = port;
  spec_.timeout = timeout;
  spec_.bindAddress = std::move(bindAddress);
}

HostnameEndpoint::HostnameEndpoint(std::shared_ptr<StreamNetwork> network,
                                   ReactorTime& clock,
                                   std::shared_ptr<HostnameResolver> resolver,
                                   HostnameClientSpec spec)
    : network_(std::move(network)),
      clock_(clock),
      resolver_(std::move(resolver)),
      spec_(std::move(spec)) {
  if (!network_ || !resolver_) {
    throw std::invalid_argument(
        "HostnameEndpoint: the network and the resolver must not be null");
  }
}

Deferred<std::shared_ptr<Protocol>> HostnameEndpoint::connect(
    std::shared_ptr<Factory> factory) {
  return std::make_shared<HostnameConnect>(network_, clock_, resolver_, spec_,
                                           std::move(factory))
      ->start();
}

}  // namespace torsion::net
