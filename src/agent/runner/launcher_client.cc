#include "agent/runner/launcher_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/runner/clean_spawn.h"

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
  // stdin is the socket, stdout /dev/null, stderr the agent's; nothing blocked (the launcher
  // sets its own mask).
  sigset_t none;
  sigemptyset(&none);
  pid_t child = 0;
  const int err = SpawnClean(command_, {StdioSource{fds[1]}, StdioSource{-1, "/dev/null", O_WRONLY},
                                        StdioSource{2}},
                             none, &child);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    return Unavailable("spawn '" + command_[0] + "': " + ErrnoText(err));
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
