// A line-based chat server: each client picks a name, then every line it
// sends is relayed to the others as "<name> line". The Twisted original is
// the chat server of the "Writing Servers" howto (a LineReceiver with
// GETNAME/CHAT states and a factory holding the users).
//
//   chat_server [--port N] [--interface IP]     (default 127.0.0.1:8123)
//
// It prints "listening on 127.0.0.1:PORT" once the port is open (with
// --port 0 the kernel picks PORT) and runs until SIGINT/SIGTERM. Try it
// with two `nc 127.0.0.1 8123`. Commands: "/quit" leaves.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/reactor.h"
#include "examples/example_main.h"
#include "net/endpoints.h"
#include "net/line_receiver.h"

namespace {

using torsion::Failure;
using torsion::net::Address;
using torsion::net::LineReceiver;

class ChatFactory;

class Chat : public LineReceiver {
 public:
  explicit Chat(ChatFactory& factory) : factory_(factory) {}

  void connectionMade() override { sendLine("What's your name?"); }
  void connectionLost(const Failure& reason) override;
  void lineReceived(std::string_view line) override;

 private:
  void handleName(std::string_view name);
  void handleChat(std::string_view message);

  ChatFactory& factory_;
  std::string name_;  // empty until chosen
};

// Owns the user table: names are unique while their connection lives.
class ChatFactory : public torsion::net::Factory {
 public:
  std::shared_ptr<torsion::net::Protocol> buildProtocol(const Address&) override {
    return std::make_shared<Chat>(*this);
  }
  std::map<std::string, Chat*, std::less<>> users;
};

void Chat::lineReceived(std::string_view line) {
  if (name_.empty()) return handleName(line);
  handleChat(line);
}

void Chat::handleName(std::string_view name) {
  if (name.empty() || name.find(' ') != std::string_view::npos) {
    sendLine("Names are one word. What's your name?");
    return;
  }
  if (factory_.users.contains(name)) {
    sendLine("Name taken, please choose another.");
    return;
  }
  name_ = std::string(name);
  factory_.users.emplace(name_, this);
  sendLine("Welcome, " + name_ + "!");
  for (auto& [other, chat] : factory_.users) {
    if (chat != this) chat->sendLine("* " + name_ + " joined");
  }
}

void Chat::handleChat(std::string_view message) {
  if (message == "/quit") {
    sendLine("Bye, " + name_ + "!");
    transport()->loseConnection();
    return;
  }
  std::string relayed = "<" + name_ + "> " + std::string(message);
  for (auto& [other, chat] : factory_.users) {
    if (chat != this) chat->sendLine(relayed);
  }
}

void Chat::connectionLost(const Failure&) {
  if (name_.empty()) return;
  factory_.users.erase(name_);
  for (auto& [other, chat] : factory_.users) chat->sendLine("* " + name_ + " left");
}

}  // namespace

int main(int argc, char** argv) {
  std::string port = "8123";
  std::string interface = "127.0.0.1";
  // Text here: the endpoint string below checks both.
  if (!torsion::examples::parseOptions(
          argc, argv, "usage: chat_server [--port N] [--interface IP]",
          {torsion::examples::textOption("--port", port),
           torsion::examples::textOption("--interface", interface)})) {
    return 2;
  }

  auto reactor = torsion::examples::createReactor();
  if (!reactor) return 1;
  torsion::Reactor& r = *reactor;

  // The endpoint string does the parsing and the checking of --port.
  auto endpoint = torsion::net::serverFromString(
      r, "tcp:" + torsion::net::quoteStringArgument(port) +
             ":interface=" + torsion::net::quoteStringArgument(interface));
  if (!endpoint.ok()) {
    std::cerr << "chat_server: " << endpoint.status().message() << "\n";
    return 2;
  }
  int status = 0;
  std::shared_ptr<torsion::net::ListeningPort> listening;
  (*endpoint)
      ->listen(std::make_shared<ChatFactory>())
      .addCallbacks(
          [&](std::shared_ptr<torsion::net::ListeningPort> p) {
            listening = p;
            Address host = p->getHost();
            std::printf("listening on %s:%u\n", host.host.c_str(),
                        static_cast<unsigned>(host.port));
            std::fflush(stdout);
          },
          [&](Failure f) {
            std::cerr << "chat_server: " << f.getErrorMessage() << "\n";
            status = 1;
          });
  if (status != 0) return status;
  r.run();  // until SIGINT / SIGTERM
  return 0;
}
