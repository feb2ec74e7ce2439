// What the examples' main() functions share before their own work starts:
// reading "--name VALUE" options and creating the reactor. Kept in one
// header so that each example shows only what it is about; a program
// copying an example can copy these few lines too.
#ifndef TORSION_EXAMPLES_EXAMPLE_MAIN_H_
#define TORSION_EXAMPLES_EXAMPLE_MAIN_H_

#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "core/reactor.h"

namespace torsion::examples {

// One "--name VALUE" option. read() takes the value and says whether it is
// acceptable.
struct Option {
  std::string_view name;
  std::function<bool(const char* value)> read;
};

// Applies argv's "--name VALUE" pairs to `options`. An unknown name, a name
// with no value after it, or a value its option refuses prints `usage` to
// stderr and returns false (the examples then exit with status 2).
inline bool parseOptions(int argc, char** argv, std::string_view usage,
                         std::initializer_list<Option> options) {
  for (int i = 1; i < argc; ++i) {
    const Option* match = nullptr;
    for (const Option& option : options) {
      if (argv[i] == option.name) match = &option;
    }
    if (match == nullptr || i + 1 >= argc || !match->read(argv[i + 1])) {
      std::cerr << usage << "\n";
      return false;
    }
    ++i;
  }
  return true;
}

// Reads a whole decimal number in [min, max] from all of `text`; false
// (leaving `out` unspecified) for anything else, the empty string included.
inline bool parseNumber(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && out >= min && out <= max;
}

// An option taking a whole number in [min, max] into `out`.
inline Option numberOption(std::string_view name, long min, long max, long& out) {
  return {name, [min, max, &out](const char* value) {
            return parseNumber(value, min, max, out);
          }};
}

// An option taking any text but the empty string into `out`.
inline Option textOption(std::string_view name, std::string& out) {
  return {name, [&out](const char* value) {
            out = value;
            return !out.empty();
          }};
}

// Reactor::create() with the default backend; on failure says why on
// stderr and returns null.
inline std::unique_ptr<Reactor> createReactor() {
  auto reactor = Reactor::create();
  if (!reactor.ok()) {
    std::cerr << "cannot create a reactor: " << reactor.status() << "\n";
    return nullptr;
  }
  return *std::move(reactor);
}

}  // namespace torsion::examples

#endif  // TORSION_EXAMPLES_EXAMPLE_MAIN_H_
