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
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/cgroup/cgroup.h"
#include "agent/runner/attempt_files.h"
#include "agent/runner/job_child.h"
#include "agent/runner/job_dirs.h"
#include "agent/runner/log_files.h"
#include "agent/runner/supervise_loop.h"

namespace fastgpu::agent {
namespace {

constexpr int kExecFailedCode = 127;

// Not fsynced (attempt_files.h): the durable record of a job's end is the server's commit of
// the agent's report; exit.json bridges restarts of the agent. A power loss between the end and
// that commit makes the attempt a failure with no exit code (attempt_files.h).
void WriteExit(const std::string& dir, const ExitRecord& record) {
  Status s = WriteFileAtomic(dir + "/" + kExitFile, EncodeExitRecord(record), 0600,
                             Durability::kAtomic);
  if (!s.ok()) std::fprintf(stderr, "supervisor: %s\n", s.ToString().c_str());
}

void AddWarning(ExitRecord* record, const std::string& warning) {
  if (!record->warning.empty()) record->warning += "; ";
  record->warning += warning;
}

// Writes an exit record for a job that never started and returns `code`.
int FailBeforeStart(const std::string& dir, ExitRecord* record, const std::string& error,
                    int code) {
  record->exit_code = kExecFailedCode;
  record->error = error;
  record->finished_ms = WallMs();
  WriteExit(dir, *record);
  return code;
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

// SIGKILLs what is left of the job's process group and reaps it, for at most about a second.
void KillProcessGroup(pid_t pgid) {
  ::kill(-pgid, SIGKILL);
  for (int i = 0; i < 100; ++i) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (::kill(-pgid, 0) != 0 && errno == ESRCH) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ApplyWaitStatus(int status, ExitRecord* record) {
  if (WIFEXITED(status)) {
    record->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    record->signal = WTERMSIG(status);
  }
}

// The attempt's cgroup with the spec's limits; nullopt (and a warning says why) when the node
// cannot make one, in which case the job runs without limits rather than not at all.
std::optional<cgroup::Group> MakeGroup(const LaunchSpec& spec, ExitRecord* record) {
  if (spec.cgroup.empty()) return std::nullopt;
  auto hierarchy = cgroup::Detect();
  if (!hierarchy.ok()) {
    AddWarning(record, "no cgroup limits: " + hierarchy.error().message());
    return std::nullopt;
  }
  cgroup::Limits limits{.cpu_milli = spec.cpu_milli,
                        .memory_bytes = spec.memory_mib * 1024 * 1024,
                        .pids_max = 0};
  for (const std::string& text : spec.deny_devices) {
    auto rule = cgroup::ParseDeviceRule(text);
    if (rule.ok()) limits.deny_devices.push_back(*rule);
  }
  if (spec.device_backend == "cgroup-v1-devices") limits.device_backend = cgroup::DeviceBackend::kV1;
  if (spec.device_backend == "bpf") limits.device_backend = cgroup::DeviceBackend::kBpf;
  if (spec.device_backend == "none") limits.device_backend = cgroup::DeviceBackend::kNone;
  auto group = cgroup::Create(*hierarchy, spec.cgroup, limits);
  if (!group.ok()) {
    AddWarning(record, "no cgroup limits: " + group.error().message());
    return std::nullopt;
  }
  if (!group->devices_error.empty()) {
    AddWarning(record, "GPU device files not restricted: " + group->devices_error);
  }
  return *group;
}

void KillGroupMembers(const std::optional<cgroup::Group>& group) {
  if (group) cgroup::KillAll(*group).IgnoreError();
}

// After the job: notes an OOM kill, kills every process left in the group (also those that
// left the process group) and removes it. True when the group was removed: no process of the
// job is left anywhere (a cgroup with processes cannot be removed).
bool FinishGroup(const std::optional<cgroup::Group>& group, ExitRecord* record) {
  if (!group) return false;
  auto oom = cgroup::OomKilled(*group);
  record->oom_killed = oom.ok() && *oom;
  cgroup::KillAll(*group).IgnoreError();
  // The agent's folder above it stays: the agent made it at its start and removes it when it
  // stops (an empty memory cgroup costs 0.15 ms to make again, on every job's path).
  return cgroup::Remove(*group).ok();
}

// The job's private folders go unless the user asked to keep them; `reusable` when no process
// of the job can still be in them (see job_dirs.h).
void FinishJobDirs(const LaunchSpec& spec, ExitRecord* record, bool reusable = false) {
  if (spec.keep_job_dir) return;
  Status removed = RemoveJobDir(spec, reusable);
  if (!removed.ok()) AddWarning(record, removed.message());
}

// Prepares the job's plan: private folders, log writers and pipes. Returns the error text that
// keeps the job from starting, or "".
struct Prepared {
  ChildPlan plan;
  std::unique_ptr<LogWriter> out, err;
  int out_read = -1, err_read = -1, error_read = -1;
};
std::string Prepare(const std::string& dir, const LaunchSpec& spec, Prepared* p) {
  if (Status made = MakeJobDirs(spec); !made.ok()) return "supervisor: " + made.message();
  auto out = LogWriter::Open(dir, "stdout", spec.log_max_bytes, spec.gid);
  auto err = LogWriter::Open(dir, "stderr", spec.log_max_bytes, spec.gid);
  if (!out.ok()) return "supervisor: " + out.error().message();
  if (!err.ok()) return "supervisor: " + err.error().message();
  p->out = std::move(out).value();
  p->err = std::move(err).value();
  int out_pipe[2], err_pipe[2], error_pipe[2];
  p->plan.stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (p->plan.stdin_fd < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    return std::string("supervisor: cannot open the job's files: ") + std::strerror(errno);
  }
  p->out_read = out_pipe[0];
  p->err_read = err_pipe[0];
  p->error_read = error_pipe[0];
  ChildPlan& plan = p->plan;
  plan.stdout_fd = out_pipe[1];
  plan.stderr_fd = err_pipe[1];
  plan.error_pipe = error_pipe[1];
  plan.argv = spec.argv;
  for (const auto& [k, v] : spec.env) plan.env.push_back(k + "=" + v);
  plan.workdir = !spec.workdir.empty() ? spec.workdir
                 : !spec.job_dir.empty() ? spec.job_dir + "/work"
                                         : dir;
  plan.uid = spec.uid;
  plan.gid = spec.gid;
  plan.private_tmp = spec.private_tmp && !spec.job_dir.empty();
  plan.tmp_dir = spec.job_dir + "/tmp";
  plan.keep_visible = {spec.job_dir, plan.workdir};
  if (!spec.checkpoint_dir.empty()) plan.keep_visible.push_back(spec.checkpoint_dir);
  plan.keep_if_present = spec.visible_paths;
  plan.cover_dir = spec.cover_dir;
  return "";
}

void CloseChildEnds(const ChildPlan& plan) {
  for (int fd : {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd, plan.error_pipe}) {
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace

int RunSupervisor(const std::string& dir) {
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  ExitRecord record;
  record.started_ms = WallMs();
  auto text = ReadWholeFile(dir + "/" + kSpecFile);
  Result<LaunchSpec> spec = text.ok() ? DecodeLaunchSpec(*text) : Result<LaunchSpec>(text.error());
  if (!spec.ok()) return FailBeforeStart(dir, &record, "supervisor: " + spec.error().ToString(), 1);

  // execvpe searches the PATH of the calling process: make it the job's.
  auto path = spec->env.find("PATH");
  if (path != spec->env.end()) {
    ::setenv("PATH", path->second.c_str(), 1);
  } else {
    ::unsetenv("PATH");
  }

  Prepared p;
  std::string failed = Prepare(dir, *spec, &p);
  if (!failed.empty()) {
    CloseChildEnds(p.plan);
    FinishJobDirs(*spec, &record);
    return FailBeforeStart(dir, &record, failed, 1);
  }
  std::optional<cgroup::Group> group = MakeGroup(*spec, &record);
  if (group) p.plan.group = &*group;

  record.started_ms = WallMs();
  pid_t job = SpawnJobChild(p.plan);
  int spawn_errno = errno;
  CloseChildEnds(p.plan);
  if (job < 0) {
    FinishGroup(group, &record);
    FinishJobDirs(*spec, &record);
    return FailBeforeStart(dir, &record, std::string("clone: ") + std::strerror(spawn_errno), 1);
  }
  std::string exec_error = ReadExecError(p.error_read);
  ::close(p.error_read);
  if (!exec_error.empty()) {
    ::waitpid(job, nullptr, 0);
    ::close(p.out_read);
    ::close(p.err_read);
    FinishGroup(group, &record);
    FinishJobDirs(*spec, &record);
    return FailBeforeStart(dir, &record, exec_error, 0);
  }
  // The start instant goes with the pid: the attempt ran from just before the fork, so its
  // metered interval never comes out shorter than the job's own run, however late this write.
  Status pid_written = WriteFileAtomic(
      dir + "/" + kPidFile, std::to_string(job) + " " + std::to_string(record.started_ms) + "\n",
      0600, Durability::kAtomic);
  if (!pid_written.ok()) std::fprintf(stderr, "supervisor: %s\n", pid_written.ToString().c_str());

  LoopConfig loop;
  loop.job = job;
  loop.stop_signal = spec->stop_signal > 0 && spec->stop_signal < NSIG ? spec->stop_signal : SIGTERM;
  loop.kill_grace_ms = spec->kill_grace_ms;
  loop.time_limit_ms = spec->time_limit_ms;
  loop.out_fd = p.out_read;
  loop.err_fd = p.err_read;
  loop.out = p.out.get();
  loop.err = p.err.get();
  loop.kill_all = [job, &group] {  // never reaps: the loop must see the job's own status
    ::kill(-job, SIGKILL);
    KillGroupMembers(group);
  };
  LoopResult result = SuperviseJob(loop, handled);
  record.finished_ms = WallMs();
  ApplyWaitStatus(result.wait_status, &record);
  record.timed_out = result.timed_out;
  if (!result.log_error.empty()) AddWarning(&record, "logs: " + result.log_error);
  KillProcessGroup(job);
  const bool no_process_left = FinishGroup(group, &record);
  FinishJobDirs(*spec, &record, no_process_left);
  WriteExit(dir, record);
  return 0;
}

}  // namespace fastgpu::agent
