#include "deferred/internal/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace torsion::internal {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  std::string result = (status == 0 && name) ? name.get() : type.name();
  // libstdc++'s spelling of std::string is long enough to hide the point of
  // a message; shorten the common case.
  static constexpr std::string_view kLong =
      "std::__cxx11::basic_string<char, std::char_traits<char>, "
      "std::allocator<char> >";
  for (std::size_t at = result.find(kLong); at != std::string::npos;
       at = result.find(kLong, at)) {
    result.replace(at, kLong.size(), "std::string");
  }
  return result;
}

}  // namespace torsion::internal
