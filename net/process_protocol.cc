#include "net/process_protocol.h"

namespace torsion::net {

void ProcessProtocol::makeConnection(ProcessTransport* transport) {
  transport_ = transport;
  connectionMade();
}

void ProcessProtocol::childDataReceived(int childFD, std::string_view data) {
  if (childFD == 1) {
    outReceived(data);
  } else if (childFD == 2) {
    errReceived(data);
  }
}

void ProcessProtocol::childConnectionLost(int childFD) {
  switch (childFD) {
    case 0:
      inConnectionLost();
      break;
    case 1:
      outConnectionLost();
      break;
    case 2:
      errConnectionLost();
      break;
    default:
      break;
  }
}

}  // namespace torsion::net
