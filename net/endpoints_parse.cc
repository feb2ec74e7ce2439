// The pure half of net/endpoints.h: the description grammar and what the
// tcp and unix descriptions mean. No reactor, no sockets.
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/endpoints.h"
#include "net/nul_check.h"

namespace torsion::net {
namespace {

// Control bytes in the description or in the part quoted from it are shown
// escaped: a raw NUL would end the message wherever it is printed.
absl::Status invalid(std::string_view description, const std::string& why) {
  return absl::InvalidArgumentError("endpoint description '" +
                                    internal::printable(description) +
                                    "': " + internal::printable(why));
}

// Hosts, interfaces and paths go to the OS as C strings, which end at a NUL
// byte: refused here, with the argument named, rather than cut short there.
absl::Status checkName(std::string_view description, std::string_view what,
                       std::string_view value) {
  absl::Status s = internal::checkNoNul(what, value);
  if (s.ok()) return s;
  return invalid(description, std::string(s.message()));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Digits only (no sign, no spaces), in `base` (8 or 10), at most `max`.
std::optional<std::uint64_t> parseUnsigned(std::string_view s, unsigned base,
                                           std::uint64_t max) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c >= static_cast<char>('0' + base)) return std::nullopt;
    value = value * base + static_cast<unsigned>(c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

// Non-negative decimal seconds: "30", "2.5".
std::optional<double> parseSeconds(std::string_view s) {
  std::size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  std::optional<std::uint64_t> w = whole.empty() ? std::optional<std::uint64_t>(0)
                                                 : parseUnsigned(whole, 10, 1u << 30);
  if (!w) return std::nullopt;
  double value = static_cast<double>(*w);
  double scale = 0.1;
  for (char c : frac) {
    if (c < '0' || c > '9') return std::nullopt;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value;
}

// Binds positional and keyword arguments to named parameters, the way a
// Python call binds them to a signature (which is what Twisted does).
class Binder {
 public:
  Binder(std::string_view description, const EndpointDescription& parts,
         std::vector<std::string> params)
      : description_(description), params_(std::move(params)), values_(params_.size()) {
    for (std::size_t i = 0; i < parts.args.size() && error_.ok(); ++i) {
      if (i >= params_.size()) {
        error_ =
            invalid(description_, "too many positional arguments (" +
                                      std::to_string(parts.args.size()) + "; at most " +
                                      std::to_string(params_.size()) + ")");
        return;
      }
      values_[i] = parts.args[i];
    }
    for (const auto& [key, value] : parts.kwargs) {
      std::size_t i = indexOf(key);
      if (i == params_.size()) {
        error_ =
            invalid(description_, "unknown keyword '" + key + "' (" + expected() + ")");
        return;
      }
      if (values_[i]) {
        error_ = invalid(description_,
                         "'" + key + "' is given twice (positional and keyword)");
        return;
      }
      values_[i] = value;
    }
  }

  const absl::Status& status() const { return error_; }
  const std::optional<std::string>& operator[](std::string_view name) const {
    return values_[indexOf(name)];
  }

 private:
  std::size_t indexOf(std::string_view name) const {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (params_[i] == name) return i;
    }
    return params_.size();
  }
  std::string expected() const {
    std::string s = "expected one of:";
    for (const std::string& p : params_) s += " " + p;
    return s;
  }

  std::string_view description_;
  std::vector<std::string> params_;
  std::vector<std::optional<std::string>> values_;
  absl::Status error_;
};

absl::Status parsePort(std::string_view description, const std::string& text,
                       std::uint16_t& port) {
  std::optional<std::uint64_t> value = parseUnsigned(text, 10, 65535);
  if (!value)
    return invalid(description, "port: '" + text + "' is not a number in 0..65535");
  port = static_cast<std::uint16_t>(*value);
  return absl::OkStatus();
}

absl::Status parseBacklog(std::string_view description, const std::string& text,
                          int& backlog) {
  std::optional<std::uint64_t> value = parseUnsigned(text, 10, 1u << 20);
  if (!value) {
    return invalid(description, "backlog: '" + text + "' is not a number in 0..1048576");
  }
  backlog = static_cast<int>(*value);
  return absl::OkStatus();
}

absl::Status parseFlag(std::string_view description, const std::string& name,
                       const std::string& text, bool& flag) {
  // Twisted: bool(int(text)); any integer, 0 is false.
  std::optional<std::uint64_t> value = parseUnsigned(text, 10, UINT64_MAX / 10);
  if (!value) return invalid(description, name + ": '" + text + "' is not 0 or 1");
  flag = *value != 0;
  return absl::OkStatus();
}

absl::Status parseTimeout(std::string_view description, const std::string& text,
                          Seconds& timeout) {
  std::optional<double> value = parseSeconds(text);
  if (!value) {
    return invalid(description,
                   "timeout: '" + text + "' is not a non-negative number of seconds");
  }
  timeout = Seconds(*value);
  return absl::OkStatus();
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

absl::StatusOr<TcpServerSpec> tcpServer(std::string_view description,
                                        const EndpointDescription& parts) {
  Binder b(description, parts, {"port", "interface", "backlog"});
  if (!b.status().ok()) return b.status();
  TcpServerSpec spec;
  if (!b["port"]) return invalid(description, "missing the port (e.g. 'tcp:8080')");
  if (absl::Status s = parsePort(description, *b["port"], spec.port); !s.ok()) return s;
  if (b["interface"]) spec.interface = *b["interface"];
  if (absl::Status s = checkName(description, "interface", spec.interface); !s.ok())
    return s;
  if (b["backlog"]) {
    if (absl::Status s = parseBacklog(description, *b["backlog"], spec.backlog); !s.ok())
      return s;
  }
  return spec;
}

absl::StatusOr<UnixServerSpec> unixServer(std::string_view description,
                                          const EndpointDescription& parts) {
  Binder b(description, parts, {"address", "mode", "backlog", "lockfile"});
  if (!b.status().ok()) return b.status();
  UnixServerSpec spec;
  if (!b["address"] || b["address"]->empty()) {
    return invalid(description, "missing the socket path (e.g. 'unix:/tmp/sock')");
  }
  spec.address = *b["address"];
  if (absl::Status s = checkName(description, "Unix socket path", spec.address); !s.ok())
    return s;
  if (b["mode"]) {
    std::string_view text = *b["mode"];
    // Python's int(text, 8) also takes an "0o" prefix.
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
      text.remove_prefix(2);
    }
    std::optional<std::uint64_t> mode = parseUnsigned(text, 8, 07777);
    if (!mode) {
      return invalid(description,
                     "mode: '" + *b["mode"] + "' is not an octal mode (e.g. 660)");
    }
    spec.mode = static_cast<std::uint32_t>(*mode);
  }
  if (b["backlog"]) {
    if (absl::Status s = parseBacklog(description, *b["backlog"], spec.backlog); !s.ok())
      return s;
  }
  if (b["lockfile"]) {
    if (absl::Status s = parseFlag(description, "lockfile", *b["lockfile"], spec.wantPID);
        !s.ok()) {
      return s;
    }
  }
  return spec;
}

// `type` names the description's type in the examples of error messages.
absl::StatusOr<TcpClientSpec> tcpClient(std::string_view description,
                                        EndpointDescription parts,
                                        std::string_view type = "tcp") {
  const std::string example = "(e.g. '" + std::string(type) + ":host=localhost:port=80')";
  // Twisted's _parseClientTCP: two positionals are host and port; one is
  // the port if host= is given, else the host.
  if (parts.args.size() > 2) {
    return invalid(description, "too many positional arguments (" +
                                    std::to_string(parts.args.size()) +
                                    "; at most 2: host and port)");
  }
  if (parts.args.size() == 1) {
    bool hostGiven = false;
    for (const auto& kv : parts.kwargs) hostGiven = hostGiven || kv.first == "host";
    if (hostGiven) {
      parts.kwargs.emplace_back("port", parts.args[0]);
      parts.args.clear();
    }
  }
  Binder b(description, parts, {"host", "port", "timeout", "bindAddress"});
  if (!b.status().ok()) return b.status();
  TcpClientSpec spec;
  if (!b["host"] || b["host"]->empty()) {
    return invalid(description, "missing the host " + example);
  }
  spec.host = *b["host"];
  if (absl::Status s = checkName(description, "host", spec.host); !s.ok()) return s;
  if (!b["port"]) return invalid(description, "missing the port " + example);
  if (absl::Status s = parsePort(description, *b["port"], spec.port); !s.ok()) return s;
  if (b["timeout"]) {
    if (absl::Status s = parseTimeout(description, *b["timeout"], spec.timeout); !s.ok())
      return s;
  }
  if (b["bindAddress"]) {
    spec.bindAddress = *b["bindAddress"];
    if (absl::Status s = checkName(description, "bindAddress", *spec.bindAddress);
        !s.ok())
      return s;
  }
  return spec;
}

absl::StatusOr<UnixClientSpec> unixClient(std::string_view description,
                                          const EndpointDescription& parts) {
  if (parts.args.size() > 1) {
    return invalid(description, "too many positional arguments (" +
                                    std::to_string(parts.args.size()) +
                                    "; at most 1: the path)");
  }
  Binder b(description, parts, {"path", "timeout", "lockfile"});
  if (!b.status().ok()) return b.status();
  UnixClientSpec spec;
  if (!b["path"] || b["path"]->empty()) {
    return invalid(description, "missing the socket path (e.g. 'unix:path=/tmp/sock')");
  }
  spec.path = *b["path"];
  if (absl::Status s = checkName(description, "Unix socket path", spec.path); !s.ok())
    return s;
  if (b["timeout"]) {
    if (absl::Status s = parseTimeout(description, *b["timeout"], spec.timeout); !s.ok())
      return s;
  }
  if (b["lockfile"]) {
    if (absl::Status s =
            parseFlag(description, "lockfile", *b["lockfile"], spec.checkPID);
        !s.ok()) {
      return s;
    }
  }
  return spec;
}

absl::Status unknownType(std::string_view description, const std::string& type,
                         std::string_view expected) {
  if (allDigits(type)) {
    // The old strports API took a bare port; Twisted refuses it with a hint.
    return invalid(
        description,
        "unqualified description: say which type, for example 'tcp:" + type + "'");
  }
  return invalid(description, "Unknown endpoint type: '" + type + "' (expected " +
                                  std::string(expected) + ")");
}

}  // namespace

absl::StatusOr<EndpointDescription> parseEndpointDescription(
    std::string_view description) {
  // One pass over the characters: an argument ends at ':'; the first '='
  // of an argument separates key and value (so "a=b=c" has the value
  // "b=c"); a backslash makes the next character literal.
  std::vector<std::vector<std::string>> groups(1, std::vector<std::string>(1));
  bool sawEquals = false;
  for (std::size_t i = 0; i < description.size(); ++i) {
    char c = description[i];
    if (c == '\\') {
      if (i + 1 == description.size()) {
        return invalid(description,
                       "it ends with a lone backslash (write '\\\\' for one)");
      }
      groups.back().back() += description[++i];
    } else if (c == ':') {
      groups.emplace_back(1);
      sawEquals = false;
    } else if (c == '=' && !sawEquals) {
      groups.back().emplace_back();
      sawEquals = true;
    } else {
      groups.back().back() += c;
    }
  }
  EndpointDescription parts;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<std::string>& group = groups[g];
    if (group.size() == 1) {
      if (g == 0) {
        parts.type = std::move(group[0]);
      } else {
        parts.args.push_back(std::move(group[0]));
      }
      continue;
    }
    if (g == 0) return invalid(description, "it must start with a type such as 'tcp:'");
    if (group[0].empty()) {
      return invalid(description,
                     "argument " + std::to_string(g) + " has an empty keyword");
    }
    for (const auto& kv : parts.kwargs) {
      if (kv.first == group[0])
        return invalid(description, "'" + group[0] + "' is given twice");
    }
    parts.kwargs.emplace_back(std::move(group[0]), std::move(group[1]));
  }
  if (parts.type.empty()) {
    return invalid(description, "it must start with a type such as 'tcp:'");
  }
  return parts;
}

std::string quoteStringArgument(std::string_view argument) {
  std::string out;
  out.reserve(argument.size());
  for (char c : argument) {
    if (c == '\\' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

absl::StatusOr<ServerSpec> parseServerSpec(std::string_view description) {
  absl::StatusOr<EndpointDescription> parts = parseEndpointDescription(description);
  if (!parts.ok()) return parts.status();
  std::string type = lower(parts->type);
  if (type == "tcp") {
    absl::StatusOr<TcpServerSpec> spec = tcpServer(description, *parts);
    if (!spec.ok()) return spec.status();
    return ServerSpec(*std::move(spec));
  }
  if (type == "unix") {
    absl::StatusOr<UnixServerSpec> spec = unixServer(description, *parts);
    if (!spec.ok()) return spec.status();
    return ServerSpec(*std::move(spec));
  }
  return unknownType(description, parts->type, "tcp or unix");
}

absl::StatusOr<ClientSpec> parseClientSpec(std::string_view description) {
  absl::StatusOr<EndpointDescription> parts = parseEndpointDescription(description);
  if (!parts.ok()) return parts.status();
  std::string type = lower(parts->type);
  if (type == "tcp") {
    absl::StatusOr<TcpClientSpec> spec = tcpClient(description, *parts);
    if (!spec.ok()) return spec.status();
    return ClientSpec(*std::move(spec));
  }
  if (type == "unix") {
    absl::StatusOr<UnixClientSpec> spec = unixClient(description, *parts);
    if (!spec.ok()) return spec.status();
    return ClientSpec(*std::move(spec));
  }
  if (type == "host") {
    // A HostnameEndpoint takes what a TCP client takes, read the same way.
    absl::StatusOr<TcpClientSpec> spec = tcpClient(description, *parts, "host");
    if (!spec.ok()) return spec.status();
    HostnameClientSpec hostname;
    static_cast<TcpClientSpec&>(hostname) = *std::move(spec);
    return ClientSpec(std::move(hostname));
  }
  return unknownType(description, parts->type, "tcp, unix or host");
}

}  // namespace torsion::net
