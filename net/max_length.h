// torsion/net/max_length.h: "no limit" for the framing protocols.
//
// LineReceiver, LineOnlyReceiver, IntNStringReceiver and NetstringReceiver
// refuse lines and strings longer than maxLength() (Twisted's MAX_LENGTH).
// Python's integers never overflow, so Twisted can write `maxLength + len(
// delimiter)`; std::size_t can, so the limit that means "none" has a name
// and every comparison against a limit is written so that it holds at
// SIZE_MAX too.
//
//   receiver.setMaxLength(torsion::net::kNoMaxLength);  // only memory limits
#ifndef TORSION_NET_MAX_LENGTH_H_
#define TORSION_NET_MAX_LENGTH_H_

#include <cstddef>
#include <limits>

namespace torsion::net {

// setMaxLength(kNoMaxLength): accept lines and strings of any length. A
// peer can then make the receiver buffer as much as it sends, so use it only
// for peers that are trusted or limited some other way.
inline constexpr std::size_t kNoMaxLength = std::numeric_limits<std::size_t>::max();

}  // namespace torsion::net

#endif  // TORSION_NET_MAX_LENGTH_H_
