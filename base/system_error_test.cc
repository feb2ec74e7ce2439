#include "base/system_error.h"

#include <errno.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using ::testing::HasSubstr;

TEST(StatusFromErrnoTest, MessageNamesTheCallTheReasonAndTheNumber) {
  absl::Status s = statusFromErrno(ENOENT, "epoll_ctl(MOD, fd=7)");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  const std::string message(s.message());
  EXPECT_THAT(message, HasSubstr("epoll_ctl(MOD, fd=7) failed: "));
  EXPECT_THAT(message, HasSubstr(::strerror(ENOENT)));
  EXPECT_THAT(message, HasSubstr("(errno " + std::to_string(ENOENT) + ")"));
}

TEST(StatusFromErrnoTest, CodesFollowAbseil) {
  EXPECT_EQ(statusFromErrno(EINVAL, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(statusFromErrno(ENOMEM, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(statusFromErrno(EBADF, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(statusFromErrno(ENOSYS, "x").code(), absl::StatusCode::kUnimplemented);
}

TEST(StatusFromErrnoTest, ZeroErrnoIsStillAFailure) {
  absl::Status s = statusFromErrno(0, "read(fd=3)");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_THAT(std::string(s.message()), HasSubstr("read(fd=3)"));
}

TEST(StatusFromErrnoTest, UnknownErrnoDoesNotCrash) {
  absl::Status s = statusFromErrno(99999, "close(fd=9)");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("errno 99999"));
}

TEST(StatusFromErrnoTest, TextIsTheCLibrarys) {
  EXPECT_EQ(errnoText(ENOENT), std::string(::strerror(ENOENT)));
}

// A descriptor used after it was closed fails with one code everywhere:
// EBADF on POSIX, WSAENOTSOCK from Winsock.
TEST(SystemErrorTest, ClosedSocketIsAFailedPreconditionOnEveryPlatform) {
#ifdef _WIN32
  WSADATA data;
  ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_NE(s, INVALID_SOCKET);
  closesocket(s);
  int type = 0;
  int len = sizeof type;
  ASSERT_EQ(getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len),
            SOCKET_ERROR);
  const std::uint32_t err = static_cast<std::uint32_t>(WSAGetLastError());
  EXPECT_EQ(err, static_cast<std::uint32_t>(WSAENOTSOCK));
  absl::Status status = statusFromWin32Error(err, "getsockopt(SO_TYPE)");
  WSACleanup();
#else
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);
  ::close(fds[0]);
  ASSERT_EQ(::fcntl(fds[0], F_GETFL), -1);
  EXPECT_EQ(errno, EBADF);
  absl::Status status = statusFromErrno(errno, "fcntl(F_GETFL)");
#endif
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

#ifdef _WIN32

TEST(StatusFromWin32ErrorTest, MessageNamesTheCallTheReasonAndTheNumber) {
  absl::Status s = statusFromWin32Error(ERROR_INVALID_HANDLE, "CloseHandle");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(s.message()),
            "CloseHandle failed: " + win32ErrorText(ERROR_INVALID_HANDLE) + " (error 6)");
  EXPECT_EQ(win32ErrorTextAndNumber(ERROR_INVALID_HANDLE),
            win32ErrorText(ERROR_INVALID_HANDLE) + " (error 6)");
}

// Text for a mid-sentence: no trailing period or line break.
TEST(StatusFromWin32ErrorTest, TextIsOneLineWithoutItsPeriod) {
  const std::string text = win32ErrorText(WSAECONNRESET);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find_first_of("\r\n"), std::string::npos) << text;
  EXPECT_NE(text.back(), '.') << text;
  EXPECT_EQ(win32ErrorText(0xDEADu), "Windows error 57005");
}

// Win32 and Winsock codes map as the POSIX errno they stand for; WSAENOTSOCK
// stands for EBADF (see ClosedSocketIsAFailedPreconditionOnEveryPlatform).
TEST(StatusFromWin32ErrorTest, WinsockCodesFollowTheirPosixCounterparts) {
  const std::pair<int, int> pairs[] = {
      {WSAEINVAL, EINVAL},           {WSAEACCES, EACCES},
      {WSAEMFILE, EMFILE},           {WSAENOBUFS, ENOBUFS},
      {WSAETIMEDOUT, ETIMEDOUT},     {WSAEAFNOSUPPORT, EAFNOSUPPORT},
      {WSAEOPNOTSUPP, EOPNOTSUPP},   {WSAEISCONN, EISCONN},
      {WSAENOTCONN, ENOTCONN},       {WSAECONNABORTED, ECONNABORTED},
      {WSAEADDRINUSE, EADDRINUSE},   {WSAECONNREFUSED, ECONNREFUSED},
      {WSAECONNRESET, ECONNRESET},   {WSAEHOSTUNREACH, EHOSTUNREACH},
      {WSAENETUNREACH, ENETUNREACH}, {WSAEWOULDBLOCK, EWOULDBLOCK},
      {WSAEINPROGRESS, EINPROGRESS}, {WSAEMSGSIZE, EMSGSIZE},
      {WSAEADDRNOTAVAIL, EADDRNOTAVAIL}, {WSAEINTR, EINTR},
      {ERROR_INVALID_PARAMETER, EINVAL}, {ERROR_INVALID_HANDLE, EBADF},
      {ERROR_OPERATION_ABORTED, ECANCELED},
  };
  for (const auto& [wsa, posix] : pairs) {
    EXPECT_EQ(statusCodeFromWin32Error(static_cast<std::uint32_t>(wsa)),
              absl::ErrnoToStatusCode(posix))
        << "winsock error " << wsa;
  }
  EXPECT_EQ(statusCodeFromWin32Error(WSAENOTSOCK), absl::ErrnoToStatusCode(EBADF));
  EXPECT_EQ(statusCodeFromWin32Error(WSAENOTSOCK), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(statusCodeFromWin32Error(ERROR_OPERATION_ABORTED), absl::StatusCode::kCancelled);
  EXPECT_EQ(statusCodeFromWin32Error(ERROR_NOT_ENOUGH_MEMORY),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(statusCodeFromWin32Error(WSAESHUTDOWN), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(statusCodeFromWin32Error(0xDEADu), absl::StatusCode::kUnknown);
}

TEST(StatusFromWin32ErrorTest, ZeroIsStillAFailure) {
  EXPECT_EQ(statusFromWin32Error(0, "x").code(), absl::StatusCode::kUnknown);
}

#endif  // _WIN32

}  // namespace
}  // namespace torsion
