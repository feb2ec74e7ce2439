// On Windows, processes and user signal watches compile and say plainly that
// they are not available (docs/process.md, docs/windows.md).
#include <csignal>
#include <memory>
#include <string>

#include "core/reactor.h"
#include "core/signals.h"
#include "gtest/gtest.h"
#include "net/process.h"

namespace torsion {
namespace {

TEST(UnavailableOnWindowsTest, SpawnProcess) {
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  auto t = net::spawnProcess(**reactor, std::make_shared<net::ProcessProtocol>(), "cmd.exe",
                             {"cmd.exe", "/c", "exit"});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(t.status().message().find("not available on Windows"), std::string::npos)
      << t.status();
}

TEST(UnavailableOnWindowsTest, WatchSignal) {
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  auto w = watchSignal(**reactor, SIGINT, [](int) {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(w.status().message().find("not available on Windows"), std::string::npos)
      << w.status();
}

}  // namespace
}  // namespace torsion
