#include "deferred/first_error.h"

#include <utility>

namespace torsion {
namespace {

std::string describe(const Failure& f, std::size_t index) {
  if (f.empty()) throw std::invalid_argument("FirstError: the sub-failure is empty");
  return "FirstError[#" + std::to_string(index) + ", " + f.typeName() + ": " +
         f.getErrorMessage() + "]";
}

// Python's repr() of a str: single quotes unless the text has a single
// quote and no double quote; backslash escapes for the quote, backslashes
// and control characters. Bytes from 0x80 up (UTF-8) are kept.
std::string pythonQuoted(const std::string& text) {
  char quote =
      (text.find('\'') != std::string::npos && text.find('"') == std::string::npos)
          ? '"'
          : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string FirstError::repr() const {
  return "FirstError[#" + std::to_string(index) + ", " + subFailure.shortTypeName() +
         "(" + pythonQuoted(subFailure.getErrorMessage()) + ")]";
}

std::string FirstError::str() const {
  return "FirstError[#" + std::to_string(index) + ", " + subFailure.str() + "]";
}

FirstError::FirstError(Failure sub, std::size_t i)
    : std::runtime_error(describe(sub, i)), subFailure(std::move(sub)), index(i) {}

}  // namespace torsion
