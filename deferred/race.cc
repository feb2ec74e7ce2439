#include "deferred/race.h"

#include <string>

namespace torsion {
namespace {

std::string describe(const std::vector<Failure>& failures) {
  std::string text = "FailureGroup: all " + std::to_string(failures.size()) +
                     " Deferreds of the race failed";
  if (!failures.empty() && !failures.front().empty()) {
    text += "; the first with " + failures.front().typeName() + ": " +
            failures.front().getErrorMessage();
  }
  return text;
}

}  // namespace

FailureGroup::FailureGroup(std::vector<Failure> fs)
    : std::runtime_error(describe(fs)), failures(std::move(fs)) {}

}  // namespace torsion
