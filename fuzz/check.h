// torsion/fuzz/check.h: how a fuzz target reports a broken property.
//
// A property that does not hold is a finding: the target prints what it
// expected and what it got, then aborts, so libFuzzer saves the input (and
// the replay test fails naming the file). FUZZ_CHECK works the same in the
// gcc replay build and the clang libFuzzer build, and is never compiled out.
#ifndef TORSION_FUZZ_CHECK_H_
#define TORSION_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

namespace torsion::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n%s\n", file, line, condition,
               detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace torsion::fuzz

// FUZZ_CHECK(cond, detail): `detail` (a std::string expression) is only
// evaluated when `cond` is false.
#define FUZZ_CHECK(cond, detail)                                             \
  do {                                                                       \
    if (!(cond)) ::torsion::fuzz::fail(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)

#endif  // TORSION_FUZZ_CHECK_H_
