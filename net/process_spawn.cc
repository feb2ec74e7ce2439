#include "net/process_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "base/system_error.h"

namespace torsion::net::internal {
namespace {

// What the child reports on the error pipe before it exits.
enum class Step : int { kFds = 1, kChdir = 2, kExec = 3 };
struct ChildError {
  int step;
  int err;
};

[[noreturn]] void childFailed(int errFd, Step step) {
  const ChildError e{static_cast<int>(step), errno};
  (void)!::write(errFd, &e, sizeof e);
  ::_exit(127);
}

void closeRange(int first, int last) {
  if (first > last) return;
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  const long limit = ::sysconf(_SC_OPEN_MAX);
  const int end = limit > 0 && limit - 1 < last ? static_cast<int>(limit - 1) : last;
  for (int fd = first; fd <= end; ++fd) ::close(fd);
}

// Runs in the child: async-signal-safe calls only, no allocation.
[[noreturn]] void runChild(const SpawnRequest& r, int errFd, char* const* argv,
                           char* const* envp, int* scratch) {
  int highest = 2;
  for (const auto& m : r.fds) highest = std::max(highest, m.childFD);
  // Lift every source, and the error pipe, above every target so that no
  // dup2 below overwrites a source another mapping still needs.
  errFd = ::fcntl(errFd, F_DUPFD_CLOEXEC, highest + 1);
  if (errFd < 0) ::_exit(127);
  for (std::size_t i = 0; i < r.fds.size(); ++i) {
    scratch[i] = ::fcntl(r.fds[i].parentFD, F_DUPFD_CLOEXEC, highest + 1);
    if (scratch[i] < 0) childFailed(errFd, Step::kFds);
  }
  for (std::size_t i = 0; i < r.fds.size(); ++i) {
    // dup2 leaves the new descriptor without FD_CLOEXEC: the child keeps it.
    if (::dup2(scratch[i], r.fds[i].childFD) < 0) childFailed(errFd, Step::kFds);
  }
  // Close everything else: targets not mapped, the lifted copies and every
  // other descriptor this process had, except the error pipe (close-on-exec).
  for (int fd = 0; fd <= highest; ++fd) {
    bool mapped = false;
    for (const auto& m : r.fds) mapped = mapped || m.childFD == fd;
    if (!mapped) ::close(fd);
  }
  closeRange(highest + 1, errFd - 1);
  closeRange(errFd + 1, ~0U >> 1);

  // Default dispositions (an ignored signal stays ignored across exec;
  // Twisted resets those too), then the mask the parent blocked.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) ::sigaction(s, &dfl, nullptr);
  }
  if (!r.path.empty() && ::chdir(r.path.c_str()) != 0) childFailed(errFd, Step::kChdir);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(r.file.c_str(), argv, envp);
  childFailed(errFd, Step::kExec);
}

std::vector<char*> cStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

bool isExecutableFile(const std::string& file) {
  struct stat st;
  return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(file.c_str(), X_OK) == 0;
}

}  // namespace

absl::StatusOr<std::string> resolveExecutable(
    const std::string& executable, const std::optional<std::string>& pathVariable) {
  if (executable.find('/') != std::string::npos) return executable;
  const std::string search =
      pathVariable && !pathVariable->empty() ? *pathVariable : "/bin:/usr/bin";
  std::string_view rest = search;
  while (true) {
    const std::size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + executable;
    if (isExecutableFile(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return absl::NotFoundError("spawnProcess: no executable named \"" + executable +
                             "\" in PATH " + search);
}

absl::StatusOr<int> forkExec(const SpawnRequest& request) {
  std::vector<char*> argv = cStrings(request.args);
  std::vector<char*> envp = cStrings(request.env);
  std::vector<int> scratch(request.fds.size() + 1);
  int errPipe[2];
  if (::pipe2(errPipe, O_CLOEXEC) != 0) {
    return statusFromErrno(errno, "spawnProcess: pipe2");
  }
  // With every signal blocked, no handler of ours runs in the child before
  // its dispositions are reset (it would write to our signal pipes).
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(errPipe[0]);
    runChild(request, errPipe[1], argv.data(), envp.data(), scratch.data());
  }
  const int forkErrno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(errPipe[1]);
  if (pid < 0) {
    ::close(errPipe[0]);
    return statusFromErrno(forkErrno, "spawnProcess: fork");
  }
  ChildError report{};
  std::size_t got = 0;
  while (got < sizeof report) {
    const ssize_t n =
        ::read(errPipe[0], reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(errPipe[0]);
  if (got == 0) return pid;  // exec closed the pipe: the child runs
  // The child failed before exec and exits at once: reap it here, so that
  // no zombie is left and no reaper ever hears of it.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got < sizeof report) {
    return absl::InternalError("spawnProcess: the child died before exec");
  }
  std::string step;
  switch (static_cast<Step>(report.step)) {
    case Step::kFds:
      step = "spawnProcess: setting up the child's file descriptors";
      break;
    case Step::kChdir:
      step = "spawnProcess: chdir(" + request.path + ")";
      break;
    case Step::kExec:
      step = "spawnProcess: execve(" + request.file + ")";
      break;
  }
  return statusFromErrno(report.err, step);
}

}  // namespace torsion::net::internal
