#include "net/datagram.h"

namespace torsion::net {

void DatagramProtocol::makeConnection(DatagramTransport* transport) {
  transport_ = transport;
  if (numPorts_++ == 0) startProtocol();
}

void DatagramProtocol::doStop() {
  if (numPorts_ == 0) return;  // unbalanced: ignored, as Factory::doStop
  transport_ = nullptr;
  if (--numPorts_ == 0) stopProtocol();
}

}  // namespace torsion::net
