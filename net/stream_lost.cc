#include "net/stream_lost.h"

#include <utility>

#include "base/log.h"
#include "core/errors.h"
#include "net/errors.h"

namespace torsion::net::internal {
namespace {

bool isPlainConnectionLost(const std::exception_ptr& reason) {
  try {
    std::rethrow_exception(reason);
  } catch (const ConnectionAborted&) {
    return false;
  } catch (const ConnectionLost&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

void notifyConnectionLost(const std::string& logPrefix, const std::exception_ptr& reason,
                          bool halvesClosed, std::shared_ptr<Protocol> protocol,
                          absl::AnyInvocable<void(const Failure&)> onLost) {
  std::exception_ptr why = reason;
  if (halvesClosed && isPlainConnectionLost(reason)) {
    why = std::make_exception_ptr(ConnectionDone());
  }
  const Failure failure(why);
  if (protocol) {
    try {
      protocol->connectionLost(failure);
    } catch (...) {
      log::err("net", logPrefix + ": unhandled error in connectionLost",
               std::current_exception());
    }
    protocol->detachTransport();
    protocol.reset();  // released before the connector hears of it
  }
  if (onLost) {
    try {
      onLost(failure);
    } catch (...) {
      log::err("net", logPrefix + ": unhandled error in clientConnectionLost",
               std::current_exception());
    }
  }
}

std::exception_ptr hardLimitExceeded(const std::string& logPrefix,
                                     std::size_t hardLimit) {
  log::warn("net", logPrefix + ": write buffer would exceed its hard limit of " +
                       std::to_string(hardLimit) + " bytes; aborting");
  return std::make_exception_ptr(
      ConnectionLost("ConnectionLost: write buffer hard limit of " +
                     std::to_string(hardLimit) + " bytes exceeded"));
}

}  // namespace torsion::net::internal
