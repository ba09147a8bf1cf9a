#include "agent/runner/supervisor_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "agent/runner/supervisor.h"

namespace fastgpu::agent {
namespace {

constexpr int kSocketFd = 0;

void Answer(const std::string& text) {
  while (::send(kSocketFd, text.data(), text.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// The forked supervisor's start: the same process state an exec'd one begins with.
[[noreturn]] void BecomeSupervisor(const std::string& dir, int signal_fd,
                                   const sigset_t& handled) {
  ::close(signal_fd);
  int log_fd = ::open((dir + "/supervisor.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (log_fd < 0 || null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 ||
      ::dup2(log_fd, 2) < 0 || ::chdir(dir.c_str()) != 0) {
    _exit(1);
  }
  ::close(log_fd);
  ::close(null_fd);
  ::signal(SIGPIPE, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &handled, nullptr);
  int status = RunSupervisor(dir);
  std::fflush(nullptr);
  _exit(status);
}

void Launch(const std::string& dir, int signal_fd, const sigset_t& handled) {
  pid_t pid = ::fork();
  if (pid == 0) BecomeSupervisor(dir, signal_fd, handled);
  if (pid < 0) {
    Answer(std::string("error: fork: ") + std::strerror(errno));
    return;
  }
  Answer(std::to_string(pid));
}

void ReapAll(int signal_fd) {
  struct signalfd_siginfo info;
  while (::read(signal_fd, &info, sizeof(info)) > 0) {
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace

int RunLauncher() {
  ::setsid();  // a terminal's signals to the agent's group must not reach the supervisors
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&handled, sig);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_SETMASK, &chld, nullptr);
  int signal_fd = ::signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::fprintf(stderr, "launcher: signalfd: %s\n", std::strerror(errno));
    return 1;
  }
  char buf[PATH_MAX + 1];
  while (true) {
    struct pollfd fds[2] = {{kSocketFd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents != 0) ReapAll(signal_fd);
    if (fds[0].revents == 0) continue;
    ssize_t n = ::recv(kSocketFd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the agent is gone
    std::string dir(buf, static_cast<size_t>(n));
    if (dir.empty() || dir.front() != '/' || dir.size() > PATH_MAX) {
      Answer("error: not an absolute attempt folder");
      continue;
    }
    Launch(dir, signal_fd, handled);
  }
  ReapAll(signal_fd);
  return 0;
}

}  // namespace fastgpu::agent
