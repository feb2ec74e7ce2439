// spawnProcess and the process transport (twisted.internet.process.Process).
#include "net/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/log.h"
#include "base/system_error.h"
#include "net/nul_check.h"
#include "net/process_pipes.h"
#include "net/process_reaper.h"
#include "net/process_spawn.h"

extern char** environ;

namespace torsion::net {

namespace internal {
namespace {

Failure exitReason(std::optional<int> status) {
  if (!status) return Failure(ProcessTerminated(std::nullopt, std::nullopt, -1));
  std::optional<int> code;
  std::optional<int> sig;
  if (WIFEXITED(*status)) {
    code = WEXITSTATUS(*status);
  } else if (WIFSIGNALED(*status)) {
    sig = WTERMSIG(*status);
  }
  if (code == 0) return Failure(ProcessDone(*status));
  return Failure(ProcessTerminated(code, sig, *status));
}

int signalNamed(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
      {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"USR1", SIGUSR1},
      {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"PIPE", SIGPIPE}, {"CHLD", SIGCHLD},
  };
  for (const auto& [n, s] : kNames) {
    if (n == name) return s;
  }
  throw std::invalid_argument("signalProcess: unknown signal name \"" +
                              std::string(name) +
                              "\" (use HUP, INT, KILL, TERM, ... or a number)");
}

class Process final : public ProcessTransport,
                      public PipeOwner,
                      public std::enable_shared_from_this<Process> {
 public:
  Process(Reactor& reactor, std::shared_ptr<ProcessProtocol> protocol)
      : reactor_(reactor), protocol_(std::move(protocol)) {}

  // Takes the parent's pipe ends (childFD -> kind, fd) and the reaper, and
  // connects the protocol. On error the child is killed and reaped.
  absl::Status start(int pid, std::unique_ptr<ChildReaper> reaper,
                     const std::map<int, std::pair<ChildFD::Kind, int>>& ends) {
    pid_ = pid;
    reaper_ = std::move(reaper);
    absl::Status status;
    for (const auto& [childFD, end] : ends) {
      std::unique_ptr<ProcessPipe> pipe;
      if (end.first == ChildFD::Kind::kRead) {
        pipe = std::make_unique<PipeReader>(reactor_, *this, childFD, end.second);
      } else {
        pipe = std::make_unique<PipeWriter>(reactor_, *this, childFD, end.second);
      }
      ProcessPipe* p = pipes_.emplace(childFD, std::move(pipe)).first->second.get();
      if (status.ok()) status = p->start();
    }
    if (status.ok()) {
      status = reaper_->watch(pid, [this](std::optional<int> s) { processExited(s); });
    }
    if (!status.ok()) {
      abandon();
      return status;
    }
    openPipes_ = static_cast<int>(pipes_.size());
    self_ = shared_from_this();
    tellProtocol("makeConnection",
                 [this](ProcessProtocol& p) { p.makeConnection(this); });
    return absl::OkStatus();
  }

  // ---- ProcessTransport ---------------------------------------------------------
  std::optional<int> pid() const override { return pid_; }

  void write(std::string_view data) override {
    if (PipeWriter* w = writer(0)) w->write(data);
  }
  void writeSequence(std::span<const std::string_view> data) override {
    if (PipeWriter* w = writer(0)) w->writePieces(data.data(), data.size());
  }
  void writeToChild(int childFD, std::string_view data) override {
    PipeWriter* w = writer(childFD);
    if (w == nullptr) {
      throw std::invalid_argument("writeToChild: child fd " + std::to_string(childFD) +
                                  " is not a pipe the parent writes to (\"w\")");
    }
    w->write(data);
  }

  void closeChildFD(int childFD) override {
    auto it = pipes_.find(childFD);
    if (it != pipes_.end() && it->second->open()) it->second->loseConnection();
  }
  void loseConnection() override {
    closeStdin();
    closeStderr();
    closeStdout();
  }

  void signalProcess(std::string_view signalName) override {
    signalProcess(signalNamed(signalName));
  }
  void signalProcess(int signo) override {
    if (!pid_) throw ProcessExitedAlready();
    const int e = reaper_->sendSignal(signo);
    if (e == 0) return;
    if (e == ESRCH) throw ProcessExitedAlready();
    throw std::system_error(e, std::generic_category(),
                            "signalProcess(" + std::to_string(signo) + ")");
  }

  void setWriteBufferLimits(const WriteBufferLimits& limits) override {
    for (auto& [fd, pipe] : pipes_) {
      if (auto* w = dynamic_cast<PipeWriter*>(pipe.get())) w->setLimits(limits);
    }
  }
  std::size_t writeBufferSize(int childFD) const override {
    auto it = pipes_.find(childFD);
    if (it == pipes_.end() || !it->second->open()) return 0;
    auto* w = dynamic_cast<const PipeWriter*>(it->second.get());
    return w == nullptr ? 0 : w->bufferSize();
  }

  // Consumer (stdin). Without stdin the producer is stopped at once.
  void registerProducer(Producer* producer, bool streaming) override {
    if (PipeWriter* w = writer(0); w != nullptr && w->open()) {
      w->registerProducer(producer, streaming);
    } else {
      producer->stopProducing();
    }
  }
  void unregisterProducer() override {
    if (PipeWriter* w = writer(0)) w->unregisterProducer();
  }

  // Producer (the child's output).
  void pauseProducing() override {
    for (auto& [fd, pipe] : pipes_) {
      if (auto* r = dynamic_cast<PipeReader*>(pipe.get())) r->pauseReading();
    }
  }
  void resumeProducing() override {
    for (auto& [fd, pipe] : pipes_) {
      if (auto* r = dynamic_cast<PipeReader*>(pipe.get())) r->resumeReading();
    }
  }
  void stopProducing() override { loseConnection(); }

  // ---- PipeOwner -----------------------------------------------------------------
  void childDataReceived(int childFD, std::string_view data) override {
    if (protocol_) protocol_->childDataReceived(childFD, data);
  }

  void childConnectionLost(int childFD, const LostReason&) override {
    --openPipes_;
    tellProtocol("childConnectionLost",
                 [childFD](ProcessProtocol& p) { p.childConnectionLost(childFD); });
    maybeCallProcessEnded();
  }

 private:
  std::string logPrefix() const {
    return "Process(" + (pid_ ? std::to_string(*pid_) : std::string("reaped")) + ")";
  }

  // Calls `f(protocol)`, logging what it throws (Twisted's log.err).
  template <typename F>
  void tellProtocol(const char* callback, F f) {
    if (!protocol_) return;
    try {
      f(*protocol_);
    } catch (...) {
      log::err("process", logPrefix() + ": unhandled error in " + callback,
               std::current_exception());
    }
  }

  // The pipe mapped "w" for childFD, open or not; null if there is none.
  PipeWriter* writer(int childFD) {
    auto it = pipes_.find(childFD);
    if (it == pipes_.end()) return nullptr;
    return dynamic_cast<PipeWriter*>(it->second.get());
  }

  void processExited(std::optional<int> status) {
    pid_.reset();
    reason_ = exitReason(status);
    exited_ = true;
    tellProtocol("processExited",
                 [this](ProcessProtocol& p) { p.processExited(reason_); });
    maybeCallProcessEnded();
  }

  // processEnded once the child is reaped and every pipe is lost, so that
  // all of its output came first (Twisted's maybeCallProcessEnded).
  void maybeCallProcessEnded() {
    if (openPipes_ > 0 || !exited_ || ended_) return;
    ended_ = true;
    tellProtocol("processEnded", [this](ProcessProtocol& p) { p.processEnded(reason_); });
    if (protocol_) protocol_->detachTransport();
    protocol_.reset();
    // Released on the next pass: we may be inside a pipe's or the reaper's
    // callback, which must return first.
    reactor_.callSoon([self = std::move(self_)] {});
  }

  // Spawning failed after the fork: no protocol call, and no zombie.
  void abandon() {
    for (auto& [fd, pipe] : pipes_) {
      reactor_.removeReader(pipe.get());
      reactor_.removeWriter(pipe.get());
    }
    pipes_.clear();
    reaper_.reset();
    if (pid_) {
      ::kill(*pid_, SIGKILL);
      while (::waitpid(*pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    pid_.reset();
  }

  Reactor& reactor_;
  std::shared_ptr<ProcessProtocol> protocol_;
  std::map<int, std::unique_ptr<ProcessPipe>> pipes_;
  std::unique_ptr<ChildReaper> reaper_;
  std::optional<int> pid_;
  int openPipes_ = 0;
  bool exited_ = false;
  bool ended_ = false;
  Failure reason_;
  std::shared_ptr<Process> self_;  // alive until processEnded
};

absl::Status checkArguments(const ProcessProtocol* protocol,
                            const std::string& executable,
                            const std::vector<std::string>& args,
                            const std::optional<Environment>& env,
                            const std::string& path, const ChildFDs& childFDs) {
  if (protocol == nullptr) {
    return absl::InvalidArgumentError("spawnProcess: the protocol is null");
  }
  if (executable.empty())
    return absl::InvalidArgumentError("spawnProcess: empty executable");
  if (absl::Status s = checkNoNul("executable", executable); !s.ok()) return s;
  for (const std::string& a : args) {
    if (absl::Status s = checkNoNul("argument", a); !s.ok()) return s;
  }
  if (absl::Status s = checkNoNul("path", path); !s.ok()) return s;
  if (env) {
    for (const auto& [name, value] : *env) {
      if (name.empty() || name.find('=') != std::string::npos) {
        return absl::InvalidArgumentError("spawnProcess: environment name \"" +
                                          printable(name) + "\" is empty or holds '='");
      }
      if (absl::Status s = checkNoNul("environment name", name); !s.ok()) return s;
      if (absl::Status s = checkNoNul("environment value", value); !s.ok()) return s;
    }
  }
  for (const auto& [childFD, what] : childFDs) {
    if (childFD < 0) {
      return absl::InvalidArgumentError("spawnProcess: child fd " +
                                        std::to_string(childFD) + " is negative");
    }
    if (what.kind() == ChildFD::Kind::kInherit && ::fcntl(what.parentFD(), F_GETFD) < 0) {
      return absl::InvalidArgumentError(
          "spawnProcess: child fd " + std::to_string(childFD) + " maps to parent fd " +
          std::to_string(what.parentFD()) + ", which is not open");
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> environmentStrings(const std::optional<Environment>& env) {
  std::vector<std::string> out;
  if (env) {
    for (const auto& [name, value] : *env) out.push_back(name + "=" + value);
  } else {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  }
  return out;
}

std::optional<std::string> pathVariable(const std::optional<Environment>& env) {
  if (env) {
    auto it = env->find("PATH");
    if (it == env->end()) return std::nullopt;
    return it->second;
  }
  const char* p = std::getenv("PATH");
  return p == nullptr ? std::nullopt : std::optional<std::string>(p);
}

// The pipes of one spawn; whatever was not handed on is closed.
struct Pipes {
  std::map<int, std::pair<ChildFD::Kind, int>> parentEnds;
  std::vector<int> childEnds;
  ~Pipes() {
    closeChildEnds();
    for (auto& [fd, end] : parentEnds) ::close(end.second);
  }
  void closeChildEnds() {
    for (int fd : childEnds) ::close(fd);
    childEnds.clear();
  }
};

}  // namespace
}  // namespace internal

absl::StatusOr<std::shared_ptr<ProcessTransport>> spawnProcess(
    Reactor& reactor, std::shared_ptr<ProcessProtocol> protocol, std::string executable,
    std::vector<std::string> args, std::optional<Environment> env, std::string path,
    std::optional<ChildFDs> childFDs) {
  using namespace internal;
  const ChildFDs fds = childFDs ? *childFDs : ChildFDs{{0, "w"}, {1, "r"}, {2, "r"}};
  if (absl::Status s = checkArguments(protocol.get(), executable, args, env, path, fds);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> file = resolveExecutable(executable, pathVariable(env));
  if (!file.ok()) return file.status();

  SpawnRequest request;
  request.file = *std::move(file);
  request.args = std::move(args);
  request.env = environmentStrings(env);
  request.path = std::move(path);
  Pipes pipes;
  for (const auto& [childFD, what] : fds) {
    if (what.kind() == ChildFD::Kind::kInherit) {
      request.fds.push_back({childFD, what.parentFD()});
      continue;
    }
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
      return statusFromErrno(errno, "spawnProcess: pipe2");
    const bool parentReads = what.kind() == ChildFD::Kind::kRead;
    const int parentEnd = parentReads ? ends[0] : ends[1];
    const int childEnd = parentReads ? ends[1] : ends[0];
    pipes.parentEnds[childFD] = {what.kind(), parentEnd};
    pipes.childEnds.push_back(childEnd);
    ::fcntl(parentEnd, F_SETFL, ::fcntl(parentEnd, F_GETFL) | O_NONBLOCK);
    request.fds.push_back({childFD, childEnd});
  }

  absl::StatusOr<std::unique_ptr<ChildReaper>> reaper = ChildReaper::prepare(reactor);
  if (!reaper.ok()) return reaper.status();
  absl::StatusOr<int> pid = forkExec(request);
  pipes.closeChildEnds();
  if (!pid.ok()) return pid.status();

  auto process = std::make_shared<Process>(reactor, std::move(protocol));
  auto ends = std::exchange(pipes.parentEnds, {});
  if (absl::Status s = process->start(*pid, *std::move(reaper), ends); !s.ok()) return s;
  return process;
}

}  // namespace torsion::net
