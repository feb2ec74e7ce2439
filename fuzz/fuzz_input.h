// torsion/fuzz/fuzz_input.h: reads a fuzzer's input bytes as decisions.
//
// Every fuzz target turns its input into a small program: a few header
// bytes choose parameters (a maximum length, a delimiter, how to chunk),
// the rest is data or a sequence of operations. FuzzInput hands the bytes
// out in order and returns zeros once they run out, so every input, however
// short, decodes to some program and the decoding never fails.
//
//   FuzzInput in(data, size);
//   bool lineOnly = in.below(4) == 3;       // one byte, a choice of four
//   std::string_view sizes = in.take(in.below(8));
//   std::string_view stream = in.rest();
//
// (libFuzzer ships FuzzedDataProvider for this; it is not available to the
// gcc build that replays the corpus as a test, so the targets use this.)
#ifndef TORSION_FUZZ_FUZZ_INPUT_H_
#define TORSION_FUZZ_FUZZ_INPUT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torsion::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return at_ >= data_.size(); }
  std::size_t remaining() const { return data_.size() - at_; }

  // The next byte, or 0 once the input is used up.
  std::uint8_t byte() {
    if (empty()) return 0;
    return static_cast<std::uint8_t>(data_[at_++]);
  }
  // A number in [0, n) from one byte (n <= 256), 0 when n == 0.
  std::size_t below(std::size_t n) { return n == 0 ? 0 : byte() % n; }
  // A number in [0, 65535] from two bytes, big-endian.
  std::uint16_t u16() {
    std::uint16_t high = byte();
    return static_cast<std::uint16_t>(high << 8 | byte());
  }

  // Up to n bytes.
  std::string_view take(std::size_t n) {
    std::string_view out = data_.substr(at_, n);
    at_ += out.size();
    return out;
  }
  // Everything not read yet.
  std::string_view rest() { return take(remaining()); }

 private:
  std::string_view data_;
  std::size_t at_ = 0;
};

// Cuts `stream` into chunks whose sizes cycle through `sizes` (each taken
// as 1 + size % 64; an empty `sizes` means one chunk). The chunks cover the
// stream exactly, in order.
inline std::vector<std::string_view> chunksOf(std::string_view stream,
                                              std::string_view sizes) {
  std::vector<std::string_view> chunks;
  if (sizes.empty()) {
    chunks.push_back(stream);
    return chunks;
  }
  std::size_t next = 0;
  while (!stream.empty()) {
    std::size_t n = 1 + static_cast<unsigned char>(sizes[next]) % 64;
    next = (next + 1) % sizes.size();
    chunks.push_back(stream.substr(0, n));
    stream.remove_prefix(chunks.back().size());
  }
  return chunks;
}

// values[choice % N], with a branch of its own for each index: libFuzzer
// then sees each choice as new coverage and keeps an input for each in its
// corpus, where a table lookup would be one edge for all of them.
template <std::size_t N, std::size_t... I>
std::size_t pickCoveredAt(std::size_t i, const std::array<std::size_t, N>& values,
                          std::index_sequence<I...>) {
  std::size_t out = 0;
  (void)((i == I ? (out = values[I], true) : false) || ...);
  return out;
}
template <std::size_t N>
std::size_t pickCovered(std::size_t choice, const std::array<std::size_t, N>& values) {
  return pickCoveredAt(choice % N, values, std::make_index_sequence<N>());
}

// The strings of a list written as one input: `text` cut at each 0xff
// byte (a byte no protocol under test gives a meaning). Always at least one
// string; "" gives {""}.
inline std::vector<std::string> splitAt0xff(std::string_view text) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (static_cast<unsigned char>(c) == 0xff) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

// Appends the byte `u` to `out` as "\xNN" (lower-case hex).
inline void appendHexEscape(std::string& out, unsigned char u) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[u >> 4];
  out += kHex[u & 15];
}

// Printable form of bytes for failure messages: "ab\r\n\x00".
inline std::string escaped(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      appendHexEscape(out, u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace torsion::fuzz

#endif  // TORSION_FUZZ_FUZZ_INPUT_H_
