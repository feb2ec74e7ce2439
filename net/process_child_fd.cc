// ChildFD (net/process.h): the values of Twisted's childFDs, on every
// platform, so that code naming them compiles everywhere.
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/process.h"

namespace torsion::net {

ChildFD::ChildFD(const char* mode) {
  const std::string_view m = mode == nullptr ? "" : mode;
  if (m == "r") {
    kind_ = Kind::kRead;
  } else if (m == "w") {
    kind_ = Kind::kWrite;
  } else {
    throw std::invalid_argument("childFDs: \"" + std::string(m) +
                                "\" is not \"r\", \"w\" or a file descriptor");
  }
}

ChildFD::ChildFD(int parentFD) : kind_(Kind::kInherit), parentFD_(parentFD) {}

}  // namespace torsion::net
