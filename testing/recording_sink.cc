#include "testing/recording_sink.h"

#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "gtest/gtest.h"

namespace torsion::testing {

void RecordingSink::onReady(int fd, std::uint8_t readyEvents) {
  events_.push_back({fd, readyEvents});
  if (hook) hook(fd, readyEvents);
}

std::uint8_t RecordingSink::bitsFor(int fd) const {
  std::uint8_t bits = 0;
  for (const Event& e : events_) {
    if (e.fd == fd) bits |= e.bits;
  }
  return bits;
}

RecordingSink pollNow(Backend& backend) {
  RecordingSink sink;
  absl::StatusOr<int> n = backend.poll(std::chrono::nanoseconds(0), sink);
  EXPECT_TRUE(n.ok()) << n.status();
  return sink;
}

void expectWakeUpEndsBlockedPoll(Backend& backend) {
  std::thread waker([&backend] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    backend.wakeUp();
  });
  RecordingSink sink;
  absl::StatusOr<int> n = backend.poll(std::nullopt, sink);
  waker.join();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_TRUE(sink.events().empty());
}

std::string describeBits(std::uint8_t bits) {
  std::string out;
  const std::pair<std::uint8_t, const char*> names[] = {
      {kReadable, "readable"}, {kWritable, "writable"}, {kHangup, "hangup"},
      {kError, "error"},       {kInvalid, "invalid"},
  };
  for (const auto& [bit, name] : names) {
    if (bits & bit) out += out.empty() ? name : std::string("|") + name;
  }
  return out.empty() ? "none" : out;
}

std::unique_ptr<Backend> createdOrNull(absl::StatusOr<std::unique_ptr<Backend>> created) {
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? *std::move(created) : nullptr;
}

}  // namespace torsion::testing
