// torsion/fuzz/receiver_feed.h: chunks fed to a protocol the way a
// connection delivers them, for the receiver fuzz targets.
#ifndef TORSION_FUZZ_RECEIVER_FEED_H_
#define TORSION_FUZZ_RECEIVER_FEED_H_

#include <string_view>
#include <vector>

#include "net/string_transport.h"

namespace torsion::fuzz {

// Feeds `chunks` in order to `receiver`, which is connected to `transport`,
// until the transport starts disconnecting. A paused receiver is resumed
// after each chunk (a consumer catching up; each resume may deliver another
// pausing message) unless it has set its `stopped` flag. Returns true if a
// callback threw `Thrown`, which ends the feed.
template <typename Thrown, typename Receiver>
bool feedAsConnection(Receiver& receiver, const net::StringTransport& transport,
                      const std::vector<std::string_view>& chunks) {
  try {
    for (std::string_view chunk : chunks) {
      if (transport.disconnecting()) break;
      receiver.dataReceived(chunk);
      while (receiver.paused() && !receiver.stopped && !transport.disconnecting()) {
        receiver.resumeProducing();
      }
    }
  } catch (const Thrown&) {
    return true;
  }
  return false;
}

}  // namespace torsion::fuzz

#endif  // TORSION_FUZZ_RECEIVER_FEED_H_
