// torsion/testing/loopback_pair_win.h: a connected loopback TCP pair for
// Windows tests (test-only; Windows has no socketpair()).
//
//   SOCKET a, b;
//   ASSERT_NO_FATAL_FAILURE(testing::loopbackTcpPair(a, b));
//
// Made with blocking calls; the caller closes both sockets.
#ifndef TORSION_TESTING_LOOPBACK_PAIR_WIN_H_
#define TORSION_TESTING_LOOPBACK_PAIR_WIN_H_

#include <winsock2.h>
#include <ws2tcpip.h>

#include "gtest/gtest.h"

namespace torsion::testing {

inline void loopbackTcpPair(SOCKET& a, SOCKET& b) {
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_NE(listener, INVALID_SOCKET);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  int len = sizeof addr;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  a = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_NE(a, INVALID_SOCKET);
  ASSERT_EQ(connect(a, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  b = accept(listener, nullptr, nullptr);
  ASSERT_NE(b, INVALID_SOCKET);
  closesocket(listener);
}

}  // namespace torsion::testing

#endif  // TORSION_TESTING_LOOPBACK_PAIR_WIN_H_
