#include "agent/runner/launcher_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace fastgpu::agent {
namespace {

// A fork and an answer take well under a millisecond; this only bounds a launcher that hangs.
constexpr int kAnswerTimeoutMs = 5000;

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

LauncherClient::~LauncherClient() { Stop(); }

Status LauncherClient::Start() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return Unavailable("socketpair: " + ErrnoText(errno));
  }
  std::vector<std::string> args = command_;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // stdin is the socket, stdout /dev/null, stderr the agent's; no other descriptor, default
  // signal state, PATH the only variable (as for an exec'd supervisor).
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&files, fds[1], 0);
  posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigemptyset(&none);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  char path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env, nullptr};
  pid_t child = 0;
  int err = ::posix_spawn(&child, argv[0], &files, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    return Unavailable("spawn '" + args[0] + "': " + ErrnoText(err));
  }
  socket_ = fds[0];
  pid_ = child;
  return Status::Ok();
}

void LauncherClient::Stop() {
  if (socket_ >= 0) ::close(socket_);  // the launcher's cue to exit
  socket_ = -1;
  if (pid_ > 0) {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = 0;
}

Status LauncherClient::Send(const std::string& dir) {
  if (socket_ < 0) FG_RETURN_IF_ERROR(Start());
  while (true) {
    if (::send(socket_, dir.data(), dir.size(), MSG_NOSIGNAL) >= 0) return Status::Ok();
    if (errno != EINTR) break;
  }
  return Unavailable("send to the supervisor launcher: " + ErrnoText(errno));
}

Result<pid_t> LauncherClient::Launch(const std::string& dir) {
  // A launcher that died since the last request refuses the send (EPIPE): one fresh start.
  Status sent = Send(dir);
  if (!sent.ok()) {
    Stop();
    FG_RETURN_IF_ERROR(Send(dir));
  }
  struct pollfd p = {socket_, POLLIN, 0};
  int ready = 0;
  while ((ready = ::poll(&p, 1, kAnswerTimeoutMs)) < 0 && errno == EINTR) {
  }
  char buf[512];
  ssize_t n = ready > 0 ? ::recv(socket_, buf, sizeof(buf), 0) : -1;
  if (n <= 0) {
    if (pid_ > 0) ::kill(pid_, SIGKILL);  // hung, or gone: a fresh one serves the next request
    Stop();
    return Internal("the supervisor launcher did not answer for '" + dir + "'");
  }
  std::string_view answer(buf, static_cast<size_t>(n));
  pid_t pid = 0;
  auto [ptr, ec] = std::from_chars(answer.data(), answer.data() + answer.size(), pid);
  if (ec != std::errc() || ptr != answer.data() + answer.size() || pid <= 0) {
    return Internal("supervisor launcher: " + std::string(answer));
  }
  return pid;
}

}  // namespace fastgpu::agent
