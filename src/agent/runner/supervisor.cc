#include "agent/runner/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/cgroup/cgroup.h"
#include "agent/runner/attempt_files.h"

namespace fastgpu::agent {
namespace {

constexpr int kExecFailedCode = 127;

// Everything the job child needs, prepared before fork.
struct ChildPlan {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "K=V"
  std::string workdir;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int error_pipe = -1;
  const cgroup::Group* group = nullptr;  // joined before exec when set
};

// `err` is the errno of the failed call, saved before any other call can change it.
[[noreturn]] void ChildFail(int pipe_fd, int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  ssize_t ignored = ::write(pipe_fd, msg.data(), msg.size());
  (void)ignored;
  ::_exit(kExecFailedCode);
}

[[noreturn]] void RunChild(const ChildPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD}) ::signal(sig, SIG_DFL);
  ::setpgid(0, 0);
  if (plan.group != nullptr) {
    Status joined = cgroup::AddProcess(*plan.group, ::getpid());
    if (!joined.ok()) ChildFail(plan.error_pipe, EPERM, "join cgroup: " + joined.message());
  }
  if (::chdir(plan.workdir.c_str()) != 0) {
    int err = errno;
    ChildFail(plan.error_pipe, err, "chdir '" + plan.workdir + "'");
  }
  if (::dup2(plan.stdin_fd, 0) < 0 || ::dup2(plan.stdout_fd, 1) < 0 ||
      ::dup2(plan.stderr_fd, 2) < 0) {
    int err = errno;
    ChildFail(plan.error_pipe, err, "dup2");
  }
  std::vector<char*> argv;
  for (const auto& a : plan.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : plan.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execvpe(argv[0], argv.data(), envp.data());
  int err = errno;
  ChildFail(plan.error_pipe, err, "exec '" + plan.argv[0] + "'");
}

void WriteExit(const std::string& dir, const ExitRecord& record) {
  Status s = WriteFileAtomic(dir + "/" + kExitFile, EncodeExitRecord(record));
  if (!s.ok()) std::fprintf(stderr, "supervisor: %s\n", s.ToString().c_str());
}

int OpenOrDie(const std::string& path, int flags) {
  return ::open(path.c_str(), flags | O_CLOEXEC, 0644);
}

// Reads the child's exec error from the pipe; empty when exec succeeded (the pipe closed).
std::string ReadExecError(int fd) {
  std::string out;
  char buf[512];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// After the job's main process ended: kills what remains of its group and reaps it, for at
// most about a second.
void CleanUpGroup(pid_t pgid) {
  ::kill(-pgid, SIGKILL);
  for (int i = 0; i < 100; ++i) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (::kill(-pgid, 0) != 0 && errno == ESRCH) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Waits for `job`, forwarding termination signals to its group. Returns its wait status.
int WaitForJob(pid_t job, const sigset_t& handled) {
  while (true) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&handled, &info);
    if (sig < 0) continue;  // EINTR
    if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
      ::kill(-job, sig);
      continue;
    }
    if (sig != SIGCHLD) continue;  // SIGHUP: ignored
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == job) return status;
    }
  }
}

void ApplyWaitStatus(int status, ExitRecord* record) {
  if (WIFEXITED(status)) {
    record->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    record->signal = WTERMSIG(status);
  }
}

// The attempt's cgroup with the spec's limits; nullopt (and *warning says why) when the node
// cannot make one, in which case the job runs without limits rather than not at all.
std::optional<cgroup::Group> MakeGroup(const LaunchSpec& spec, std::string* warning) {
  if (spec.cgroup.empty()) return std::nullopt;
  auto hierarchy = cgroup::Detect();
  if (!hierarchy.ok()) {
    *warning = "no cgroup limits: " + hierarchy.error().message();
    return std::nullopt;
  }
  cgroup::Limits limits{.cpu_milli = spec.cpu_milli,
                        .memory_bytes = spec.memory_mib * 1024 * 1024,
                        .pids_max = 0};
  auto group = cgroup::Create(*hierarchy, spec.cgroup, limits);
  if (!group.ok()) {
    *warning = "no cgroup limits: " + group.error().message();
    return std::nullopt;
  }
  return *group;
}

// After the job: notes an OOM kill, kills every process left in the group (also those that
// left the process group) and removes it.
void FinishGroup(const std::optional<cgroup::Group>& group, ExitRecord* record) {
  if (!group) return;
  auto oom = cgroup::OomKilled(*group);
  record->oom_killed = oom.ok() && *oom;
  cgroup::KillAll(*group).IgnoreError();
  cgroup::Remove(*group).IgnoreError();
  // The agent's folder above it goes with its last attempt (rmdir fails while others remain).
  for (const std::string& dir : group->dirs) ::rmdir(dir.substr(0, dir.rfind('/')).c_str());
}

}  // namespace

int RunSupervisor(const std::string& dir) {
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ExitRecord record;
  record.started_ms = WallMs();
  auto text = ReadWholeFile(dir + "/" + kSpecFile);
  Result<LaunchSpec> spec = text.ok() ? DecodeLaunchSpec(*text) : Result<LaunchSpec>(text.error());
  if (!spec.ok()) {
    record.exit_code = kExecFailedCode;
    record.error = "supervisor: " + spec.error().ToString();
    record.finished_ms = WallMs();
    WriteExit(dir, record);
    return 1;
  }

  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);

  // execvpe searches the PATH of the calling process: make it the job's.
  auto path = spec->env.find("PATH");
  if (path != spec->env.end()) {
    ::setenv("PATH", path->second.c_str(), 1);
  } else {
    ::unsetenv("PATH");
  }

  ChildPlan plan;
  plan.argv = spec->argv;
  for (const auto& [k, v] : spec->env) plan.env.push_back(k + "=" + v);
  plan.workdir = spec->workdir.empty() ? dir : spec->workdir;
  plan.stdin_fd = OpenOrDie("/dev/null", O_RDONLY);
  plan.stdout_fd = OpenOrDie(dir + "/" + kStdoutFile, O_WRONLY | O_CREAT | O_APPEND);
  plan.stderr_fd = OpenOrDie(dir + "/" + kStderrFile, O_WRONLY | O_CREAT | O_APPEND);
  int pipe_fds[2];
  if (plan.stdin_fd < 0 || plan.stdout_fd < 0 || plan.stderr_fd < 0 ||
      ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    record.exit_code = kExecFailedCode;
    record.error = std::string("supervisor: cannot open the job's files: ") + std::strerror(errno);
    record.finished_ms = WallMs();
    WriteExit(dir, record);
    return 1;
  }
  plan.error_pipe = pipe_fds[1];
  std::optional<cgroup::Group> group = MakeGroup(*spec, &record.warning);
  if (group) plan.group = &*group;

  record.started_ms = WallMs();
  pid_t job = ::fork();
  if (job == 0) RunChild(plan);
  ::close(pipe_fds[1]);
  ::close(plan.stdin_fd);
  ::close(plan.stdout_fd);
  ::close(plan.stderr_fd);
  if (job < 0) {
    record.exit_code = kExecFailedCode;
    record.error = std::string("fork: ") + std::strerror(errno);
    record.finished_ms = WallMs();
    WriteExit(dir, record);
    return 1;
  }
  ::setpgid(job, job);  // also done by the child; whichever runs first wins the race
  std::string exec_error = ReadExecError(pipe_fds[0]);
  ::close(pipe_fds[0]);
  if (!exec_error.empty()) {
    ::waitpid(job, nullptr, 0);
    FinishGroup(group, &record);
    record.exit_code = kExecFailedCode;
    record.error = exec_error;
    record.finished_ms = WallMs();
    WriteExit(dir, record);
    return 0;
  }
  Status pid_written = WriteFileAtomic(dir + "/" + kPidFile, std::to_string(job) + "\n");
  if (!pid_written.ok()) std::fprintf(stderr, "supervisor: %s\n", pid_written.ToString().c_str());

  int status = WaitForJob(job, handled);
  record.finished_ms = WallMs();
  ApplyWaitStatus(status, &record);
  CleanUpGroup(job);
  FinishGroup(group, &record);
  WriteExit(dir, record);
  return 0;
}

}  // namespace fastgpu::agent
