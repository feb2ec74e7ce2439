#include "net/protocol.h"

namespace torsion::net {

void Protocol::makeConnection(Transport* transport) {
  transport_ = transport;
  connected_ = true;
  connectionMade();
}

void Factory::doStart() {
  if (numPorts_++ == 0) startFactory();
}

void Factory::doStop() {
  // Twisted logs and ignores an unbalanced doStop; a count that would go
  // negative means a port stopped twice, which we ignore the same way.
  if (numPorts_ == 0) return;
  if (--numPorts_ == 0) stopFactory();
}

}  // namespace torsion::net
