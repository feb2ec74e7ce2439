// Tests for net/nul_check.h: the one check every host, interface and path
// goes through before it reaches the OS as a C string.
#include "net/nul_check.h"

#include <string>

#include "gtest/gtest.h"

namespace torsion::net::internal {
namespace {

using namespace std::string_literals;

TEST(NulCheckTest, NamesWithoutNulPass) {
  EXPECT_TRUE(checkNoNul("host", "127.0.0.1").ok());
  EXPECT_TRUE(checkNoNul("host", "").ok());
  EXPECT_FALSE(containsNul("/tmp/sock"));
}

// The message names the argument, shows the NUL escaped, says where it is
// and what the OS would have used instead.
TEST(NulCheckTest, NulIsRefusedWithAMessageThatExplains) {
  const absl::Status s = checkNoNul("interface", "127.0.0.1\0evil"s);
  EXPECT_TRUE(containsNul("127.0.0.1\0evil"s));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()),
            "interface '127.0.0.1\\x00evil' contains a NUL byte (at offset 9); the "
            "system would read it as '127.0.0.1'");
  EXPECT_FALSE(checkNoNul("path", "\0"s).ok());
  EXPECT_FALSE(checkNoNul("path", "end\0"s).ok());
}

TEST(NulCheckTest, PrintableEscapesControlBytesOnly) {
  EXPECT_EQ(printable("a\0b\n\x7f\x1f c:\\ 'q' \xc3\xa9"s),
            "a\\x00b\\x0a\\x7f\\x1f c:\\ 'q' \xc3\xa9");
}

}  // namespace
}  // namespace torsion::net::internal
