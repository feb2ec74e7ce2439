// torsion/testing/recording_sink.h: what a backend's poll() reported.
//
//   testing::RecordingSink sink = testing::pollNow(*backend);
//   EXPECT_EQ(sink.bitsFor(pair.a.get()), kReadable)
//       << testing::describeBits(sink.bitsFor(pair.a.get()));
#ifndef TORSION_TESTING_RECORDING_SINK_H_
#define TORSION_TESTING_RECORDING_SINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"

namespace torsion::testing {

// Records every onReady(); can run a hook on each, to act during a batch.
class RecordingSink : public ReadinessSink {
 public:
  struct Event {
    int fd;
    std::uint8_t bits;
  };

  void onReady(int fd, std::uint8_t readyEvents) override;

  const std::vector<Event>& events() const { return events_; }
  // OR of every bit reported for `fd` (0 when never reported).
  std::uint8_t bitsFor(int fd) const;
  void clear() { events_.clear(); }
  std::function<void(int fd, std::uint8_t bits)> hook;

 private:
  std::vector<Event> events_;
};

// Polls `backend` once without blocking and returns what it reported; a
// failed poll fails the current test.
RecordingSink pollNow(Backend& backend);

// Blocks in backend.poll() without a time limit while another thread calls
// wakeUp() 30 ms later: the poll must return, reporting nothing (the
// wake-up is the backend's own, never an event). Failures fail the current
// test.
void expectWakeUpEndsBlockedPoll(Backend& backend);

// "readable|hangup" for failure messages; "none" for 0.
std::string describeBits(std::uint8_t bits);

// The backend a factory made, or nullptr after failing the current test
// with the factory's status.
std::unique_ptr<Backend> createdOrNull(absl::StatusOr<std::unique_ptr<Backend>> created);

}  // namespace torsion::testing

#endif  // TORSION_TESTING_RECORDING_SINK_H_
