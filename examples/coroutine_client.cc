// A request/response TCP client written as a coroutine: connect through an
// endpoint, then co_await each reply, with a timeout and error handling.
// The server, a small key lookup service, runs in the same program so that
// the example needs nothing else; its "report" key is slow on purpose, to
// show the client's timeout. The Twisted original (client side):
//
//   @defer.inlineCallbacks
//   def main(reactor):
//       endpoint = endpoints.clientFromString(reactor, f"tcp:host=127.0.0.1:port={port}")
//       client = yield endpoints.connectProtocol(endpoint, LookupClient())
//       for key, timeout in [("greeting", 5), ("colour", 5), ("report", 0.1)]:
//           try:
//               value = yield client.get(key).addTimeout(timeout, reactor)
//               print(f"{key}: {value}")
//           except ServerError as e:
//               print(f"{key}: the server says: {e}")
//           except defer.TimeoutError:
//               print(f"{key}: no answer within {timeout}s; connection abandoned")
//       yield client.close()
//
//   task.react(main)
//
// Protocol: the client sends "GET <key>"; the server answers each request,
// in order, with "VALUE <value>" or "ERROR <reason>".
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/reactor.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "net/endpoints.h"
#include "net/line_receiver.h"
#include "net/port.h"
#include "task/react.h"

namespace {

using namespace std::chrono_literals;

// --- the client -------------------------------------------------------------

// The server refused a request ("ERROR <reason>"), or sent something that
// is not a reply.
class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LookupClient : public torsion::net::LineOnlyReceiver,
                     public std::enable_shared_from_this<LookupClient> {
 public:
  // Asks for `key`. Fires with its value; fails with ServerError if the
  // server refuses, or with the reason the connection was lost before the
  // reply came.
  torsion::Deferred<std::string> get(std::string_view key) {
    if (transport() == nullptr || transport()->disconnecting()) {
      return torsion::fail<std::string>(std::logic_error("get: not connected"));
    }
    // Replies are matched to requests by their order alone. Once a request
    // is abandoned (cancelled, for example by addTimeout), its late reply
    // would be taken for the next request's, so cancelling one closes the
    // connection. The canceller holds a weak reference: the Deferred may
    // outlive this client.
    torsion::Deferred<std::string> reply(
        [weak = weak_from_this()](torsion::Deferred<std::string>&) {
          if (auto self = weak.lock(); self && self->transport() != nullptr) {
            self->transport()->loseConnection();
          }
        });
    waiting_.push_back(reply);
    sendLine("GET " + std::string(key));
    return reply;
  }

  // Hangs up once what was sent is flushed. Fires when the connection is
  // closed, whoever closed it.
  torsion::Deferred<void> close() {
    if (transport() != nullptr) transport()->loseConnection();
    return closed_;
  }

  void lineReceived(std::string_view line) override {
    if (waiting_.empty()) {
      // A reply to no request: the two sides disagree, nothing after it
      // can be trusted.
      transport()->loseConnection();
      return;
    }
    torsion::Deferred<std::string> reply = std::move(waiting_.front());
    waiting_.pop_front();
    if (reply.called()) return;  // abandoned: its reply is dropped
    if (line.starts_with("VALUE ")) {
      reply.callback(std::string(line.substr(6)));
    } else if (line.starts_with("ERROR ")) {
      reply.errback(ServerError(std::string(line.substr(6))));
    } else {
      reply.errback(ServerError("not a reply: '" + std::string(line) + "'"));
    }
  }

  void connectionLost(const torsion::Failure& reason) override {
    // Whoever still waits learns why no reply will come.
    std::deque<torsion::Deferred<std::string>> waiting = std::move(waiting_);
    for (auto& reply : waiting) {
      if (!reply.called()) reply.errback(reason);
    }
    closed_.callback();
  }

 private:
  std::deque<torsion::Deferred<std::string>> waiting_;  // in the order sent
  torsion::Deferred<void> closed_;
};

// --- the server ---------------------------------------------------------------

class LookupServer : public torsion::net::LineOnlyReceiver {
 public:
  explicit LookupServer(torsion::Reactor& reactor) : reactor_(reactor) {}

  void lineReceived(std::string_view line) override {
    static const std::map<std::string, std::string, std::less<>> kValues = {
        {"greeting", "hello, world"}, {"answer", "42"}};
    if (!line.starts_with("GET ")) {
      sendLine("ERROR unknown command '" + std::string(line) + "'");
      return;
    }
    std::string_view key = line.substr(4);
    if (key == "report") {
      // A slow backend. (Replies must keep their order: a real server
      // would also hold back the replies to later requests.)
      slowReply_ = reactor_.callLater(5s, [this] { sendLine("VALUE report is ready"); });
    } else if (auto found = kValues.find(key); found != kValues.end()) {
      sendLine("VALUE " + found->second);
    } else {
      sendLine("ERROR no such key: " + std::string(key));
    }
  }

  void connectionLost(const torsion::Failure&) override {
    // Nobody to answer any more; the timer must not outlive this protocol.
    if (slowReply_.active()) slowReply_.cancel();
  }

 private:
  torsion::Reactor& reactor_;
  torsion::DelayedCall slowReply_;
};

class LookupServerFactory : public torsion::net::ServerFactory {
 public:
  explicit LookupServerFactory(torsion::Reactor& reactor) : reactor_(reactor) {}
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<LookupServer>(reactor_);
  }

 private:
  torsion::Reactor& reactor_;
};

// --- the program ----------------------------------------------------------------

// A failure that escapes run() (the server cannot listen, the client cannot
// connect: refused, timed out) fails its Deferred; react then logs it and
// returns 1.
torsion::Deferred<void> run(torsion::Reactor& reactor) {
  auto server = torsion::net::serverFromString(reactor, "tcp:0:interface=127.0.0.1");
  if (!server.ok()) throw torsion::StatusError(server.status());
  std::shared_ptr<torsion::net::ListeningPort> port =
      co_await (*server)->listen(std::make_shared<LookupServerFactory>(reactor));
  std::printf("server listening\n");

  auto endpoint = torsion::net::clientFromString(
      reactor,
      "tcp:host=127.0.0.1:port=" + std::to_string(port->getHost().port) + ":timeout=5");
  if (!endpoint.ok()) throw torsion::StatusError(endpoint.status());
  auto client = std::make_shared<LookupClient>();
  co_await torsion::net::connectProtocol(**endpoint, client);
  std::printf("connected\n");

  struct Request {
    const char* key;
    torsion::Seconds timeout;
  };
  static const Request kRequests[] = {
      {"greeting", 5s}, {"colour", 5s}, {"report", 100ms}};
  for (const Request& request : kRequests) {
    // co_await gives the value, or throws the exception the Deferred
    // failed with: handle the ones this loop expects, let others escape.
    try {
      std::string value =
          co_await client->get(request.key).addTimeout(request.timeout, reactor);
      std::printf("%s: %s\n", request.key, value.c_str());
    } catch (const ServerError& e) {
      std::printf("%s: the server says: %s\n", request.key, e.what());
    } catch (const torsion::TimeoutError&) {
      std::printf("%s: no answer within %gs; connection abandoned\n", request.key,
                  request.timeout.count());
    }
  }
  co_await client->close();
  std::printf("connection closed\n");
  co_await port->stopListening();
  std::printf("server stopped\n");
}

}  // namespace

int main() {
  return torsion::task::react([](torsion::Reactor& reactor) { return run(reactor); });
}
