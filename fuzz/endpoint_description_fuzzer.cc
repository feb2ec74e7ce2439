// Fuzz target: endpoint description strings (net/endpoints.h): the grammar
// (parseEndpointDescription, quoteStringArgument) and what a server or
// client description means (parseServerSpec, parseClientSpec).
//
// Properties, for every input:
//  * The parsers never throw or crash; every error is InvalidArgument and
//    its message starts by quoting the description ("endpoint description
//    '...': ", control bytes as \xNN).
//  * Quoting round trip: the parts of a parsed description, written back
//    with quoteStringArgument, parse to the same parts and mean the same
//    server and client (when no type, positional argument or keyword holds
//    a '=', which quoting does not protect, as in Twisted); and arguments
//    quoted into a description come back unchanged.
//  * A server or client spec is parsed only from a description whose type
//    is tcp or unix (any case), with values in their documented ranges.
//  * No spec holds a NUL byte in a host, interface, bindAddress or path (the
//    OS would read such a name cut short), and listenTCP itself refuses an
//    interface with one (InvalidArgument; checked on a real reactor, port 0,
//    for any argument whose text before the NUL is an IP literal: no name is
//    ever resolved). Error messages show control bytes as \xNN, never raw.
//
// Input: [mode][description], or [3][type][arguments separated by 0xff].
#include <arpa/inet.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "fuzz/check.h"
#include "fuzz/fuzz_input.h"
#include "net/endpoints.h"
#include "net/protocol.h"
#include "net/tcp.h"

namespace torsion::fuzz {
namespace {

std::string str(absl::string_view s) { return std::string(s.data(), s.size()); }

// How error messages show a description (net/endpoints.h): control bytes
// and DEL as \xNN, every other byte as it is.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      appendHexEscape(out, u);
    } else {
      out += c;
    }
  }
  return out;
}

bool hasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void checkError(std::string_view description, const absl::Status& status,
                const char* parser) {
  FUZZ_CHECK(
      status.code() == absl::StatusCode::kInvalidArgument,
      std::string(parser) + "(\"" + escaped(description) + "\"): " + status.ToString());
  std::string prefix = "endpoint description '" + printable(description) + "': ";
  FUZZ_CHECK(str(status.message()).starts_with(prefix),
             std::string(parser) + "(\"" + escaped(description) +
                 "\"): the message does not quote the description: " +
                 escaped(str(status.message())));
  FUZZ_CHECK(!hasNul(str(status.message())),
             std::string(parser) +
                 ": a raw NUL in the message: " + escaped(str(status.message())));
}

std::string describe(const net::EndpointDescription& d) {
  std::string s = "type \"" + escaped(d.type) + "\" args [";
  for (const std::string& a : d.args) s += " \"" + escaped(a) + "\"";
  s += " ] kwargs [";
  for (const auto& [k, v] : d.kwargs)
    s += " \"" + escaped(k) + "\"=\"" + escaped(v) + "\"";
  return s + " ]";
}

bool hasEquals(std::string_view s) { return s.find('=') != std::string_view::npos; }

// The description written back from its parts; empty when quoting cannot
// express them (a '=' where it would start a keyword).
std::string requoted(const net::EndpointDescription& d) {
  if (hasEquals(d.type)) return {};
  std::string out = net::quoteStringArgument(d.type);
  for (const std::string& a : d.args) {
    if (hasEquals(a)) return {};
    out += ":" + net::quoteStringArgument(a);
  }
  for (const auto& [k, v] : d.kwargs) {
    if (hasEquals(k)) return {};
    out += ":" + net::quoteStringArgument(k) + "=" + net::quoteStringArgument(v);
  }
  return out;
}

bool isIPLiteralPrefix(std::string_view name) {
  std::string head(name.substr(0, name.find('\0')));
  unsigned char buf[16];
  return inet_pton(AF_INET, head.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, head.c_str(), buf) == 1;
}

Reactor& reactor() {
  static Reactor* r = [] {
    auto created = Reactor::create();
    FUZZ_CHECK(created.ok(), "no reactor: " + created.status().ToString());
    return created->release();
  }();
  return *r;
}

class NoProtocolFactory : public net::Factory {
 public:
  std::shared_ptr<net::Protocol> buildProtocol(const net::Address&) override {
    return nullptr;
  }
};

// listenTCP itself must refuse an interface holding a NUL, whatever the
// parser did: `candidate` is any argument of a description that has one
// after an IP literal.
void checkNulInterface(std::string_view description, const std::string& candidate) {
  if (!hasNul(candidate) || !isIPLiteralPrefix(candidate)) return;
  auto port = net::listenTCP(reactor(), 0, std::make_shared<NoProtocolFactory>(),
                             {.backlog = 1, .interface = candidate});
  bool listened = port.ok();
  if (listened) (*port)->stopListening();
  FUZZ_CHECK(!listened && port.status().code() == absl::StatusCode::kInvalidArgument,
             "\"" + escaped(description) + "\": listenTCP with interface \"" +
                 escaped(candidate) + "\" " +
                 (listened ? std::string("listened") : port.status().ToString()));
}

// The OS reads names as C strings: a spec never holds a NUL in one.
void checkServerSpec(std::string_view description, const net::ServerSpec& spec) {
  if (const auto* tcp = std::get_if<net::TcpServerSpec>(&spec)) {
    FUZZ_CHECK(tcp->backlog >= 0 && tcp->backlog <= (1 << 20),
               "backlog " + std::to_string(tcp->backlog));
    FUZZ_CHECK(!hasNul(tcp->interface),
               "\"" + escaped(description) + "\": a NUL in the interface");
  } else {
    const auto& unix = std::get<net::UnixServerSpec>(spec);
    FUZZ_CHECK(!unix.address.empty(), "empty unix address");
    FUZZ_CHECK(!hasNul(unix.address),
               "\"" + escaped(description) + "\": a NUL in the path");
    FUZZ_CHECK(unix.mode <= 07777, "mode " + std::to_string(unix.mode));
    FUZZ_CHECK(unix.backlog >= 0 && unix.backlog <= (1 << 20),
               "backlog " + std::to_string(unix.backlog));
  }
}

void checkClientSpec(std::string_view description, const net::ClientSpec& spec) {
  Seconds timeout = std::visit([](const auto& s) { return s.timeout; }, spec);
  FUZZ_CHECK(std::isfinite(timeout.count()) && timeout.count() >= 0,
             "timeout " + std::to_string(timeout.count()));
  // A host: description is read as a tcp one (HostnameClientSpec is one).
  const net::TcpClientSpec* tcp = std::get_if<net::TcpClientSpec>(&spec);
  if (tcp == nullptr) tcp = std::get_if<net::HostnameClientSpec>(&spec);
  if (tcp != nullptr) {
    FUZZ_CHECK(!tcp->host.empty(), "empty host");
    FUZZ_CHECK(!hasNul(tcp->host) && !hasNul(tcp->bindAddress.value_or("")),
               "\"" + escaped(description) + "\": a NUL in the host or bindAddress");
  } else {
    const std::string& path = std::get<net::UnixClientSpec>(spec).path;
    FUZZ_CHECK(!path.empty(), "empty path");
    FUZZ_CHECK(!hasNul(path), "\"" + escaped(description) + "\": a NUL in the path");
  }
}

void checkDescription(std::string_view description) {
  absl::StatusOr<net::EndpointDescription> parts =
      net::parseEndpointDescription(description);
  absl::StatusOr<net::ServerSpec> server = net::parseServerSpec(description);
  absl::StatusOr<net::ClientSpec> client = net::parseClientSpec(description);
  if (!parts.ok()) {
    checkError(description, parts.status(), "parseEndpointDescription");
    FUZZ_CHECK(!server.ok() && server.status() == parts.status(),
               "\"" + escaped(description) + "\": server spec despite a grammar error");
    FUZZ_CHECK(!client.ok() && client.status() == parts.status(),
               "\"" + escaped(description) + "\": client spec despite a grammar error");
    return;
  }
  FUZZ_CHECK(!parts->type.empty(), "empty type from \"" + escaped(description) + "\"");
  for (const std::string& a : parts->args) checkNulInterface(description, a);
  for (const auto& kv : parts->kwargs) checkNulInterface(description, kv.second);
  std::string type = lower(parts->type);
  bool known = type == "tcp" || type == "unix";
  if (server.ok()) {
    FUZZ_CHECK(known, "server spec of type \"" + escaped(parts->type) + "\"");
    checkServerSpec(description, *server);
  } else {
    checkError(description, server.status(), "parseServerSpec");
  }
  if (client.ok()) {
    FUZZ_CHECK(known, "client spec of type \"" + escaped(parts->type) + "\"");
    checkClientSpec(description, *client);
  } else {
    checkError(description, client.status(), "parseClientSpec");
  }

  std::string again = requoted(*parts);
  if (again.empty()) return;
  absl::StatusOr<net::EndpointDescription> reparsed =
      net::parseEndpointDescription(again);
  FUZZ_CHECK(reparsed.ok() && *reparsed == *parts,
             "\"" + escaped(description) + "\" -> " + describe(*parts) + " -> \"" +
                 escaped(again) + "\" -> " +
                 (reparsed.ok() ? describe(*reparsed) : reparsed.status().ToString()));
  absl::StatusOr<net::ServerSpec> server2 = net::parseServerSpec(again);
  FUZZ_CHECK(server.ok() == server2.ok() && (!server.ok() || *server == *server2),
             "\"" + escaped(description) + "\" and \"" + escaped(again) +
                 "\" mean different servers");
  absl::StatusOr<net::ClientSpec> client2 = net::parseClientSpec(again);
  FUZZ_CHECK(client.ok() == client2.ok() && (!client.ok() || *client == *client2),
             "\"" + escaped(description) + "\" and \"" + escaped(again) +
                 "\" mean different clients");
}

// Arguments quoted into a description come back as positional arguments.
void checkQuoting(std::string type, std::string_view text) {
  std::vector<std::string> args = splitAt0xff(text);
  std::string description = net::quoteStringArgument(type);
  for (const std::string& a : args) description += ":" + net::quoteStringArgument(a);
  checkDescription(description);
  if (type.empty() || hasEquals(type)) return;
  for (const std::string& a : args) {
    if (hasEquals(a)) return;
  }
  absl::StatusOr<net::EndpointDescription> parts =
      net::parseEndpointDescription(description);
  FUZZ_CHECK(
      parts.ok() && parts->type == type && parts->args == args && parts->kwargs.empty(),
      "\"" + escaped(description) + "\" -> " +
          (parts.ok() ? describe(*parts) : parts.status().ToString()));
}

std::string typeChoice(std::size_t choice) {
  switch (choice % 5) {
    case 0:
      return "tcp";
    case 1:
      return "unix";
    case 2:
      return "TCP";
    case 3:
      return "Unix";
    default:
      return "t\\c:p";
  }
}

}  // namespace
}  // namespace torsion::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace torsion::fuzz;
  FuzzInput in(data, size);
  if (in.below(4) == 3) {
    std::string type = typeChoice(in.byte());
    checkQuoting(type, in.rest());
  } else {
    checkDescription(in.rest());
  }
  return 0;
}
