// The main() of a fuzz target's replay test: runs LLVMFuzzerTestOneInput on
// every file of the given directories (the target's seed corpus and its
// regression inputs), so each saved input stays a plain test under any
// compiler, without libFuzzer. A failing property aborts; the name of the
// input being run was printed just before.
//
//   replay_test [--dict=FILE] DIR_OR_FILE...
//
// A missing directory counts as empty (git keeps no empty directories); no
// input at all is an error, so a mistyped path cannot pass silently.
// --dict=FILE checks that a libFuzzer dictionary parses (libFuzzer refuses
// to start on a bad one, which a replay-only build would never notice).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" [[gnu::weak]] int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// libFuzzer's dictionary syntax: comments (#), blank lines, and entries
// `name="value"` or `"value"` where the value escapes \\, \" and \xAB.
bool validDictLine(std::string_view line, std::string& why) {
  std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return true;
  line.remove_prefix(first);
  while (!line.empty() &&
         (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
    line.remove_suffix(1);
  std::size_t quote = line.find('"');
  if (quote == std::string_view::npos || line.back() != '"' || quote == line.size() - 1) {
    why = "an entry is name=\"value\" or \"value\"";
    return false;
  }
  if (quote > 0 && line[quote - 1] != '=') {
    why = "a name must be followed by '='";
    return false;
  }
  std::string_view value = line.substr(quote + 1, line.size() - quote - 2);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '"') {
      why = "unescaped '\"' inside the value";
      return false;
    }
    if (value[i] != '\\') continue;
    if (i + 1 == value.size()) {
      why = "the value ends with a lone backslash";
      return false;
    }
    char next = value[++i];
    if (next == 'x') {
      if (i + 2 >= value.size() || !isHex(value[i + 1]) || !isHex(value[i + 2])) {
        why = "\\x needs two hex digits";
        return false;
      }
      i += 2;
    } else if (next != '\\' && next != '"') {
      why = std::string("unknown escape \\") + next;
      return false;
    }
  }
  return true;
}

bool checkDict(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read the dictionary %s\n", path.c_str());
    return false;
  }
  std::string line;
  int number = 0;
  int entries = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string why;
    if (!validDictLine(line, why)) {
      std::fprintf(stderr, "replay: %s:%d: %s: %s\n", path.c_str(), number, why.c_str(),
                   line.c_str());
      return false;
    }
    std::size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#') ++entries;
  }
  if (entries == 0) {
    std::fprintf(stderr, "replay: the dictionary %s has no entries\n", path.c_str());
    return false;
  }
  return true;
}

void collect(const fs::path& path, std::vector<fs::path>& inputs) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    inputs.push_back(path);
    return;
  }
  if (!fs::is_directory(path, ec)) return;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) inputs.push_back(entry.path());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--dict=")) {
      if (!checkDict(std::string(arg.substr(7)))) return 1;
      continue;
    }
    collect(fs::path(argv[i]), inputs);
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no input files under the given paths\n");
    return 1;
  }
  std::sort(inputs.begin(), inputs.end());
  for (const fs::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 1;
    }
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
