#include "net/nul_check.h"

#include <cstdio>
#include <string>

namespace torsion::net::internal {

absl::Status checkNoNul(std::string_view what, std::string_view value) {
  const std::size_t at = value.find('\0');
  if (at == std::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(
      std::string(what) + " '" + printable(value) + "' contains a NUL byte (at offset " +
      std::to_string(at) + "); the system would read it as '" +
      printable(value.substr(0, at)) + "'");
}

std::string printable(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace torsion::net::internal
