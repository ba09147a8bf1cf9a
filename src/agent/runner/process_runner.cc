#include "agent/runner/process_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <iterator>
#include <optional>

#include "agent/runner/clean_spawn.h"
#include "common/self_exe.h"

namespace fastgpu::agent {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

std::string ErrnoText(int err) { return std::strerror(err); }

bool ProcessAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// Parses a positive decimal integer (surrounding whitespace allowed); 0 when malformed.
int64_t ParsePositive(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0 || v > INT_MAX) return 0;
  return v;
}

// Parses a positive count of milliseconds (trailing newline allowed); 0 when malformed.
int64_t ParseMs(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && ptr == text.data() + text.size() && v > 0 ? v : 0;
}

// "12-3" -> {12, 3}; nullopt for any other name.
std::optional<AttemptKey> ParseFolderName(std::string_view name) {
  size_t dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  int64_t job = ParsePositive(name.substr(0, dash));
  int64_t attempt = ParsePositive(name.substr(dash + 1));
  if (job == 0 || attempt == 0) return std::nullopt;
  AttemptKey key{job, static_cast<int32_t>(attempt)};
  if (key.ToString() != name) return std::nullopt;  // no leading zeros or spaces
  return key;
}

int64_t MtimeMs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// The margin by which the runner's own SIGKILL follows the supervisor's: a backstop for a job
// whose supervisor is gone.
constexpr std::chrono::milliseconds kBackstopMargin{2000};

// Whether `pid` is the supervisor of the attempt folder `dir`, so that a recycled pid is never
// signalled: an exec'd one's command line names the folder, a launched one works in it.
bool IsSupervisorOf(pid_t pid, const std::string& dir) {
  if (pid <= 0) return false;
  const std::string proc = "/proc/" + std::to_string(pid);
  char cwd[PATH_MAX];
  ssize_t n = ::readlink((proc + "/cwd").c_str(), cwd, sizeof(cwd));
  if (n > 0 && std::string_view(cwd, static_cast<size_t>(n)) == dir) return true;
  auto cmdline = ReadWholeFile(proc + "/cmdline");
  if (!cmdline.ok()) return false;
  std::string needle = dir;
  needle.push_back('\0');
  return cmdline->find(needle) != std::string::npos;
}

// `fastgpu-supervise` beside our own binary when it is there (one runs per job, and it is a
// fraction of fastgpu's size), else `fastgpu supervise`.
std::vector<std::string> DefaultSupervisorCommand() {
  const std::string self = SelfExecutable();
  if (self.empty()) return {"/proc/self/exe", "supervise"};
  std::string small = self.substr(0, self.rfind('/') + 1) + "fastgpu-supervise";
  if (::access(small.c_str(), X_OK) == 0) return {small};
  return {self, "supervise"};
}

}  // namespace

struct ProcessRunner::Entry {
  AttemptKey key;
  std::string dir;
  pid_t supervisor = 0;    // 0: unknown
  bool own_child = false;  // started by this object, so reaped by it
  bool supervisor_done = false;
  int supervisor_status = 0;
  pid_t job_pid = 0;
  int64_t started_ms = 0;
  std::optional<ExitRecord> exit;
  int pending_signal = 0;  // to send once the job's pid is known
  bool stopping = false;
  bool escalation_armed = false;
  bool killed = false;
  SteadyTime kill_at;
};

ProcessRunner::ProcessRunner(RunnerOptions options)
    : options_(std::move(options)), attempts_dir_(options_.data_dir + "/attempts") {
  if (options_.use_launcher) {
    std::vector<std::string> command = options_.supervisor_command;
    command.push_back(kLauncherFlag);
    launcher_ = std::make_unique<LauncherClient>(std::move(command));
  }
}

ProcessRunner::~ProcessRunner() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, e] : entries_) {
    if (!e->supervisor_done && e->supervisor > 0) ::waitpid(e->supervisor, nullptr, WNOHANG);
  }
  for (pid_t pid : unreaped_) ::waitpid(pid, nullptr, WNOHANG);
}

Result<std::unique_ptr<ProcessRunner>> ProcessRunner::Create(RunnerOptions options) {
  if (options.data_dir.empty()) return InvalidArgument("data_dir is empty", "data_dir");
  if (options.supervisor_command.empty()) options.supervisor_command = DefaultSupervisorCommand();
  // 0711: job users may pass through to their own folders but list nothing here.
  for (const std::string& dir : {options.data_dir, options.data_dir + "/attempts"}) {
    if (::mkdir(dir.c_str(), 0711) != 0 && errno != EEXIST) {
      return Internal("mkdir '" + dir + "': " + ErrnoText(errno));
    }
    if (::chmod(dir.c_str(), 0711) != 0) return Internal("chmod '" + dir + "': " + ErrnoText(errno));
  }
  std::unique_ptr<ProcessRunner> runner(new ProcessRunner(std::move(options)));
  FG_RETURN_IF_ERROR(runner->Adopt());
  return runner;
}

std::string ProcessRunner::AttemptDir(const AttemptKey& key) const {
  return attempts_dir_ + "/" + key.ToString();
}

Status ProcessRunner::Adopt() {
  DIR* d = ::opendir(attempts_dir_.c_str());
  if (d == nullptr) return Internal("opendir '" + attempts_dir_ + "': " + ErrnoText(errno));
  std::lock_guard<std::mutex> lock(mu_);
  while (struct dirent* ent = ::readdir(d)) {
    std::optional<AttemptKey> key = ParseFolderName(ent->d_name);
    if (!key) continue;
    std::string dir = AttemptDir(*key);
    if (::access((dir + "/" + kAckedFile).c_str(), F_OK) == 0) continue;
    auto e = std::make_unique<Entry>();
    e->key = *key;
    e->dir = dir;
    if (auto text = ReadWholeFile(dir + "/" + kSupervisorPidFile); text.ok()) {
      e->supervisor = static_cast<pid_t>(ParsePositive(*text));
    }
    Refresh(*e);
    spdlog::info("adopted attempt {} ({})", key->ToString(),
                 e->exit ? "exited" : "pid " + std::to_string(e->job_pid));
    entries_[*key] = std::move(e);
  }
  ::closedir(d);
  return Status::Ok();
}

Status ProcessRunner::SpawnSupervisor(const std::string& dir, int* pid, bool* own_child) {
  *own_child = false;
  if (launcher_) {
    Result<pid_t> launched = launcher_->Launch(dir);
    if (launched.ok()) {
      *pid = *launched;
      return Status::Ok();
    }
    if (launched.error().code() != StatusCode::kUnavailable) return launched.error();
    spdlog::warn("no supervisor launcher ({}); each supervisor is exec'd from now on",
                 launched.error().message());
    launcher_.reset();
  }
  *own_child = true;
  return ExecSupervisor(dir, pid);
}

Status ProcessRunner::ExecSupervisor(const std::string& dir, int* pid) {
  std::vector<std::string> args = options_.supervisor_command;
  args.push_back(dir);
  std::string log_path = dir + "/supervisor.log";
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Internal("open '" + log_path + "': " + ErrnoText(errno));
  // stdin /dev/null, stdout and stderr on supervisor.log. It starts with the signals the
  // supervisor handles blocked, so that a stop sent right after Start() waits for it instead
  // of killing it.
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&handled, sig);
  const int err =
      SpawnClean(args, {StdioSource{-1, "/dev/null", O_RDONLY}, StdioSource{log_fd},
                        StdioSource{log_fd}},
                 handled, pid);
  ::close(log_fd);
  if (err != 0) return Internal("spawn '" + args[0] + "': " + ErrnoText(err));
  return Status::Ok();
}

Status ProcessRunner::Fail(const AttemptKey& key, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(key) != 0) return AlreadyExists("attempt " + key.ToString() + " exists");
  std::string dir = AttemptDir(key);
  if (::mkdir(dir.c_str(), 0711) != 0 && errno == EEXIST) {
    return AlreadyExists("attempt folder '" + dir + "' exists");
  }
  auto e = std::make_unique<Entry>();
  e->key = key;
  e->dir = dir;
  ExitRecord failed;
  failed.started_ms = failed.finished_ms = WallMs();
  failed.exit_code = 127;
  failed.error = error;
  WriteFileAtomic(dir + "/" + kExitFile, EncodeExitRecord(failed), 0600, Durability::kAtomic)
      .IgnoreError();
  e->exit = failed;
  entries_[key] = std::move(e);
  return Status::Ok();
}

Status ProcessRunner::Start(const AttemptKey& key, const LaunchSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(key) != 0) return AlreadyExists("attempt " + key.ToString() + " exists");
  std::string dir = AttemptDir(key);
  Status status = Status::Ok();
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) return AlreadyExists("attempt folder '" + dir + "' exists");
    status = Internal("mkdir '" + dir + "': " + ErrnoText(errno));
  } else if (::chmod(dir.c_str(), 0711) != 0) {
    status = Internal("chmod '" + dir + "': " + ErrnoText(errno));
  }
  auto e = std::make_unique<Entry>();
  e->key = key;
  e->dir = dir;
  LaunchSpec launch = spec;
  if (launch.job_dir.empty()) launch.job_dir = dir + "/job";
  launch.spare_dir = options_.data_dir + "/spare-job-dirs";
  launch.kill_grace_ms = options_.kill_grace_ms;
  // Not fsynced (see attempt_files.h): the agent's start loop waits on these two writes.
  if (status.ok()) {
    status = WriteFileAtomic(dir + "/" + kSpecFile, EncodeLaunchSpec(launch), 0600,
                             Durability::kAtomic);
  }
  if (status.ok()) status = SpawnSupervisor(dir, &e->supervisor, &e->own_child);
  if (!status.ok()) {
    ExitRecord failed;
    failed.started_ms = failed.finished_ms = WallMs();
    failed.error = "agent could not start the attempt: " + status.message();
    WriteFileAtomic(dir + "/" + kExitFile, EncodeExitRecord(failed), 0600, Durability::kAtomic)
      .IgnoreError();
    e->exit = failed;
    entries_[key] = std::move(e);
    return status;
  }
  Status pid_file = WriteFileAtomic(dir + "/" + kSupervisorPidFile,
                                    std::to_string(e->supervisor) + "\n", 0600,
                                    Durability::kAtomic);
  if (!pid_file.ok()) spdlog::warn("attempt {}: {}", key.ToString(), pid_file.ToString());
  entries_[key] = std::move(e);
  return Status::Ok();
}

void ProcessRunner::Refresh(Entry& e) {
  // Reap first, even after exit.json was seen: the supervisor writes it just before it ends.
  // An adopted supervisor is our child too when this process started it (agent restarted
  // in-process); otherwise waitpid says ECHILD and liveness comes from kill(pid, 0).
  if (!e.supervisor_done && e.supervisor > 0) {
    int st = 0;
    pid_t r = ::waitpid(e.supervisor, &st, WNOHANG);
    if (r == e.supervisor || (r < 0 && errno == ECHILD && e.own_child)) {
      e.supervisor_done = true;
      e.supervisor_status = st;
    }
  }
  if (e.exit) return;
  auto read_exit = [&e]() {
    auto text = ReadWholeFile(e.dir + "/" + kExitFile);
    if (!text.ok()) return false;
    Result<ExitRecord> record = DecodeExitRecord(*text);
    if (record.ok()) {
      e.exit = *record;
    } else {
      e.exit = ExitRecord{};
      e.exit->error = "unreadable exit record: " + record.error().message();
    }
    return true;
  };
  // The pid first: a job that ended before this first look still has one (its group may
  // have stragglers to kill). Its start then stays the one its exit record says.
  const std::string pid_path = e.dir + "/" + kPidFile;
  bool pid_read = false;
  int64_t started_ms = 0;
  if (e.job_pid == 0) {
    if (auto text = ReadWholeFile(pid_path); text.ok()) {
      std::string_view fields = *text;
      size_t space = fields.find(' ');
      e.job_pid = static_cast<pid_t>(ParsePositive(fields.substr(0, space)));
      if (space != std::string_view::npos) started_ms = ParseMs(fields.substr(space + 1));
      pid_read = true;
    }
  }
  if (read_exit()) return;
  if (pid_read) e.started_ms = started_ms > 0 ? started_ms : MtimeMs(pid_path);
  bool supervisor_alive = !e.supervisor_done && (e.own_child || ProcessAlive(e.supervisor));
  if (supervisor_alive) return;
  if (read_exit()) return;              // written just before the supervisor ended
  if (ProcessAlive(e.job_pid)) return;  // unsupervised, but still running
  ExitRecord lost;
  lost.started_ms = e.started_ms;
  lost.finished_ms = WallMs();
  lost.error = "the supervisor ended without recording the job's end";
  if (e.own_child) {
    lost.error += " (supervisor wait status " + std::to_string(e.supervisor_status) + "; see " +
                  e.dir + "/supervisor.log)";
  }
  e.exit = lost;
}

void ProcessRunner::DeliverSignals(Entry& e) {
  if (e.exit || e.job_pid == 0) return;
  if (e.pending_signal != 0) {
    ::kill(-e.job_pid, e.pending_signal);
    e.pending_signal = 0;
  }
  if (e.escalation_armed && !e.killed && std::chrono::steady_clock::now() >= e.kill_at) {
    spdlog::info("attempt {}: grace period over, sending SIGKILL", e.key.ToString());
    ::kill(-e.job_pid, SIGKILL);
    e.killed = true;
  }
}

Status ProcessRunner::Signal(const AttemptKey& key, int sig) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return NotFound("unknown attempt " + key.ToString());
  Entry& e = *it->second;
  Refresh(e);
  if (e.exit) return Status::Ok();
  if (sig == SIGTERM || sig == SIGINT || sig == SIGKILL) e.stopping = true;
  // A stop goes to the supervisor, which sends the job's own stop signal and escalates; the
  // runner's escalation below is then only a backstop.
  bool supervised = sig == SIGTERM && !e.supervisor_done &&
                    (e.own_child || IsSupervisorOf(e.supervisor, e.dir));
  if (supervised) {
    ::kill(e.supervisor, SIGTERM);
  } else if (e.job_pid > 0) {
    ::kill(-e.job_pid, sig);
  } else if (e.pending_signal != SIGKILL) {
    e.pending_signal = sig;
  }
  if ((sig == SIGTERM || sig == SIGINT) && !e.escalation_armed) {
    e.escalation_armed = true;
    e.kill_at = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(options_.kill_grace_ms) +
                (supervised ? kBackstopMargin : std::chrono::milliseconds(0));
  }
  if (sig == SIGKILL) e.killed = true;
  return Status::Ok();
}

std::vector<AttemptStatus> ProcessRunner::Poll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = unreaped_.begin(); it != unreaped_.end();) {
    pid_t r = ::waitpid(*it, nullptr, WNOHANG);
    it = (r == *it || r < 0) ? unreaped_.erase(it) : std::next(it);
  }
  std::vector<AttemptStatus> out;
  out.reserve(entries_.size());
  for (auto& [key, e] : entries_) {
    Refresh(*e);
    DeliverSignals(*e);
    AttemptStatus s;
    s.key = key;
    s.dir = e->dir;
    s.pid = e->job_pid;
    s.started_ms = e->started_ms;
    s.stopping = e->stopping;
    if (e->exit) {
      s.phase = AttemptPhase::kExited;
      s.exit = *e->exit;
      if (s.started_ms == 0) s.started_ms = s.exit.started_ms;
    } else {
      s.phase = e->job_pid > 0 ? AttemptPhase::kRunning : AttemptPhase::kStarting;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Status ProcessRunner::Forget(const AttemptKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return NotFound("unknown attempt " + key.ToString());
  Refresh(*it->second);
  if (!it->second->exit) return FailedPrecondition("attempt " + key.ToString() + " is running");
  // The marker takes supervisor.pid's inode (its job is over: only a tracked attempt's is
  // read): a new file costs far more than a rename on ext4 without a journal (job_dirs.h).
  const std::string& dir = it->second->dir;
  Status marked = Status::Ok();
  if (::rename((dir + "/" + kSupervisorPidFile).c_str(), (dir + "/" + kAckedFile).c_str()) != 0) {
    marked = WriteFileAtomic(dir + "/" + kAckedFile, "", 0600, Durability::kAtomic);
  }
  if (!marked.ok()) spdlog::warn("attempt {}: {}", key.ToString(), marked.ToString());
  const Entry& e = *it->second;
  if (!e.supervisor_done && e.supervisor > 0) unreaped_.push_back(e.supervisor);
  entries_.erase(it);
  return Status::Ok();
}

std::vector<AttemptKey> ProcessRunner::Tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AttemptKey> out;
  for (const auto& [key, e] : entries_) out.push_back(key);
  return out;
}

}  // namespace fastgpu::agent
