#include "backends/errno_status.h"

#include <string.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace torsion {
namespace {

// strerror() is not thread-safe; strerror_r comes in a GNU flavour (returns
// the text, maybe not in `buf`) and an XSI one (fills `buf`, returns int).
// Overloading on the return type accepts whichever the C library declares.
[[maybe_unused]] const char* describe(const char* gnuResult, const char*) {
  return gnuResult;
}
[[maybe_unused]] const char* describe(int xsiResult, const char* buf) {
  return xsiResult == 0 ? buf : "unknown error";
}

}  // namespace

absl::Status ErrnoToStatus(int err, std::string_view call) {
  char buf[128] = {};
  const char* text = describe(strerror_r(err, buf, sizeof buf), buf);
  std::string message = absl::StrCat(absl::string_view(call.data(), call.size()),
                                     " failed: ", text, " (errno ", err, ")");
  if (err == 0) return absl::UnknownError(message);
  return absl::Status(absl::ErrnoToStatusCode(err), message);
}

}  // namespace torsion
