#include "cli/interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace fastgpu::cli {
namespace {

// The write end of the signal pipe, read by the handler: a plain int is all a handler may use.
volatile sig_atomic_t g_signal_write_fd = -1;
std::atomic<bool> g_installed{false};
struct sigaction g_previous;

void OnSigint(int /*signo*/) {
  int saved = errno;
  char byte = 1;
  if (g_signal_write_fd >= 0) {
    ssize_t ignored = write(g_signal_write_fd, &byte, 1);
    (void)ignored;
  }
  errno = saved;
}

}  // namespace

Result<std::unique_ptr<InterruptWatcher>> InterruptWatcher::Install() {
  if (g_installed.exchange(true)) return Internal("an interrupt watcher is already installed");
  int signal_pipe[2];
  int wake_pipe[2];
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_installed = false;
    return Internal(std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(signal_pipe[0]);
    close(signal_pipe[1]);
    g_installed = false;
    return Internal(std::string("pipe: ") + std::strerror(errno));
  }
  g_signal_write_fd = signal_pipe[1];
  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  if (sigaction(SIGINT, &action, &g_previous) != 0) {
    int err = errno;
    for (int fd : {signal_pipe[0], signal_pipe[1], wake_pipe[0], wake_pipe[1]}) close(fd);
    g_signal_write_fd = -1;
    g_installed = false;
    return Internal(std::string("sigaction: ") + std::strerror(err));
  }
  // A process started with SIGINT ignored (nohup, a background job) keeps ignoring it.
  if ((g_previous.sa_flags & SA_SIGINFO) == 0 && g_previous.sa_handler == SIG_IGN) {
    sigaction(SIGINT, &g_previous, nullptr);
  }
  return std::unique_ptr<InterruptWatcher>(
      new InterruptWatcher(signal_pipe[0], wake_pipe[0], wake_pipe[1]));
}

InterruptWatcher::InterruptWatcher(int signal_read_fd, int wake_read_fd, int wake_write_fd)
    : signal_read_fd_(signal_read_fd), wake_read_fd_(wake_read_fd), wake_write_fd_(wake_write_fd) {}

InterruptWatcher::~InterruptWatcher() {
  sigaction(SIGINT, &g_previous, nullptr);
  int signal_write_fd = g_signal_write_fd;
  g_signal_write_fd = -1;
  for (int fd : {signal_read_fd_, signal_write_fd, wake_read_fd_, wake_write_fd_}) close(fd);
  g_installed = false;
}

InterruptWatcher::Event InterruptWatcher::Wait(int timeout_ms) {
  pollfd fds[2] = {{wake_read_fd_, POLLIN, 0}, {signal_read_fd_, POLLIN, 0}};
  int n = poll(fds, 2, timeout_ms);
  if (n > 0 && (fds[0].revents & POLLIN) != 0) return Event::kWoken;
  if (n > 0 && (fds[1].revents & POLLIN) != 0) {
    char byte;
    while (read(signal_read_fd_, &byte, 1) == 1) {
    }
    return Event::kInterrupted;
  }
  return Event::kTimeout;  // includes EINTR: the caller loops
}

void InterruptWatcher::Wake() {
  char byte = 1;
  ssize_t ignored = write(wake_write_fd_, &byte, 1);
  (void)ignored;
}

}  // namespace fastgpu::cli
