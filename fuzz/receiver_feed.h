// torsion/fuzz/receiver_feed.h: chunks fed to a protocol the way a
// connection delivers them, for the receiver fuzz targets.
#ifndef TORSION_FUZZ_RECEIVER_FEED_H_
#define TORSION_FUZZ_RECEIVER_FEED_H_

#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "net/socket_address.h"
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

// Connects `tester` (a receiver keeping an `observed` record with `threw`
// and `closed`) to a lenient StringTransport, feeds it `chunks` with
// feedAsConnection and records whether a callback threw and whether the
// receiver closed the connection. If neither, `recordRest(observed)` runs
// while the receiver is still connected. The receiver must write nothing.
template <typename Thrown, typename Tester, typename RecordRest>
void feedConnected(Tester& tester, const std::vector<std::string_view>& chunks,
                   RecordRest recordRest) {
  net::StringTransport transport(net::Address::ipv4("TCP", "10.0.0.1", 1),
                                 net::Address::ipv4("TCP", "10.0.0.2", 2),
                                 /*lenient=*/true);
  tester.makeConnection(&transport);
  auto& o = tester.observed;
  o.threw = feedAsConnection<Thrown>(tester, transport, chunks);
  o.closed = transport.disconnecting();
  if (!o.threw && !o.closed) recordRest(o);
  FUZZ_CHECK(transport.value().empty(), "the receiver wrote something");
}

}  // namespace torsion::fuzz

#endif  // TORSION_FUZZ_RECEIVER_FEED_H_
