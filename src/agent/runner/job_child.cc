// The job child between its clone and exec (see job_child.h). The supervisor is
// single-threaded and waits in the clone meanwhile, so the child may allocate; every failure
// goes to the error pipe.
#include "agent/runner/job_child.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace fastgpu::agent {
namespace {

constexpr int kExecFailedCode = 127;

// `err` is the errno of the failed call, saved before any other call can change it.
[[noreturn]] void ChildFail(int pipe_fd, int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  ssize_t ignored = ::write(pipe_fd, msg.data(), msg.size());
  (void)ignored;
  ::_exit(kExecFailedCode);
}

[[noreturn]] void FailErrno(const ChildPlan& plan, const std::string& what) {
  ChildFail(plan.error_pipe, errno, what);
}

bool Under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

// mkdir -p inside the private /tmp (or the cover) for a bind target, each new folder owned by
// the job. `root` is the fresh mount the target lies under: the folders above it exist.
void MakeMountPoint(const ChildPlan& plan, const std::string& path, const std::string& root) {
  for (size_t pos = root.size() + 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      if (plan.uid >= 0 && ::chown(prefix.c_str(), static_cast<uid_t>(plan.uid),
                                   static_cast<gid_t>(plan.gid)) != 0) {
        FailErrno(plan, "chown '" + prefix + "'");
      }
    } else if (errno != EEXIST) {
      FailErrno(plan, "mkdir '" + prefix + "'");
    }
  }
}

void EnterPrivateMounts(const ChildPlan& plan) {
  if (::unshare(CLONE_NEWNS) != 0) FailErrno(plan, "private /tmp: unshare(CLONE_NEWNS)");
  // Slave: the host's later mounts still reach the job; the job's never reach the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    FailErrno(plan, "private /tmp: make / a slave mount");
  }
  // Everything bound later is opened now, before anything is covered.
  int tmp_fd = ::open(plan.tmp_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (tmp_fd < 0) FailErrno(plan, "private /tmp: open '" + plan.tmp_dir + "'");
  std::vector<std::pair<std::string, int>> keep;
  for (const auto* list : {&plan.keep_visible, &plan.keep_if_present}) {
    for (const std::string& path : *list) {
      if (!Under(path, "/tmp") && (plan.cover_dir.empty() || !Under(path, plan.cover_dir))) {
        continue;
      }
      int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && list == &plan.keep_if_present) continue;
      if (fd < 0) FailErrno(plan, "private /tmp: open '" + path + "'");
      keep.emplace_back(path, fd);
    }
  }
  if (!plan.cover_dir.empty() &&
      ::mount("tmpfs", plan.cover_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=0711,size=1m") != 0) {
    FailErrno(plan, "private mounts: cover '" + plan.cover_dir + "'");
  }
  std::string tmp_source = "/proc/self/fd/" + std::to_string(tmp_fd);
  if (::mount(tmp_source.c_str(), "/tmp", nullptr, MS_BIND, nullptr) != 0) {
    FailErrno(plan, "private /tmp: bind '" + plan.tmp_dir + "' on /tmp");
  }
  ::close(tmp_fd);
  struct stat st;
  if (::stat("/dev/shm", &st) == 0 &&
      ::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    FailErrno(plan, "private /dev/shm: mount tmpfs");
  }
  for (const auto& [path, fd] : keep) {
    MakeMountPoint(plan, path, Under(path, "/tmp") ? "/tmp" : plan.cover_dir);
    std::string source = "/proc/self/fd/" + std::to_string(fd);
    if (::mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      FailErrno(plan, "private mounts: bind '" + path + "' back");
    }
    ::close(fd);
  }
  // hidepid=invisible (Linux 5.8+, per mount) or its older spelling.
  const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("proc", "/proc", "proc", flags, "hidepid=invisible") != 0 &&
      ::mount("proc", "/proc", "proc", flags, "hidepid=2") != 0) {
    FailErrno(plan, "private /proc: mount proc with hidepid");
  }
}

void DropToJobUser(const ChildPlan& plan) {
  if (plan.uid < 0) return;
  gid_t gid = static_cast<gid_t>(plan.gid >= 0 ? plan.gid : plan.uid);
  uid_t uid = static_cast<uid_t>(plan.uid);
  if (::setgroups(0, nullptr) != 0) FailErrno(plan, "setgroups");
  if (::setresgid(gid, gid, gid) != 0) FailErrno(plan, "setgid " + std::to_string(gid));
  if (::setresuid(uid, uid, uid) != 0) FailErrno(plan, "setuid " + std::to_string(uid));
}

}  // namespace

pid_t SpawnJobChild(const ChildPlan& plan) {
  // Room for execvpe's own copies of argv (a script run through /bin/sh) on top of our frames;
  // the kernel backs only the pages touched.
  const size_t size = (size_t{1} << 20) + (plan.argv.size() + plan.env.size()) * sizeof(char*);
  void* stack = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) return -1;
  auto entry = [](void* arg) -> int { RunChild(*static_cast<const ChildPlan*>(arg)); };
  pid_t pid = ::clone(entry, static_cast<char*>(stack) + size, CLONE_VM | CLONE_VFORK | SIGCHLD,
                      const_cast<ChildPlan*>(&plan));
  int clone_errno = errno;
  ::munmap(stack, size);
  errno = clone_errno;
  return pid;
}

[[noreturn]] void RunChild(const ChildPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD}) ::signal(sig, SIG_DFL);
  ::setpgid(0, 0);
  if (plan.group != nullptr) {
    Status joined = cgroup::JoinSelf(*plan.group);  // single-threaded: a fork of the supervisor
    if (!joined.ok()) ChildFail(plan.error_pipe, EPERM, "join cgroup: " + joined.message());
  }
  if (plan.private_tmp) EnterPrivateMounts(plan);
  DropToJobUser(plan);
  if (::chdir(plan.workdir.c_str()) != 0) FailErrno(plan, "chdir '" + plan.workdir + "'");
  if (::dup2(plan.stdin_fd, 0) < 0 || ::dup2(plan.stdout_fd, 1) < 0 ||
      ::dup2(plan.stderr_fd, 2) < 0) {
    FailErrno(plan, "dup2");
  }
  std::vector<char*> argv;
  for (const auto& a : plan.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : plan.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execvpe(argv[0], argv.data(), envp.data());
  FailErrno(plan, "exec '" + plan.argv[0] + "'");
}

}  // namespace fastgpu::agent
