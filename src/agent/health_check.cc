#include "agent/health_check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fastgpu::agent {
namespace {

using Clock = std::chrono::steady_clock;

// The last non-empty line of `text`, at most 200 characters.
std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of("\n\r ");
  if (end == std::string::npos) return "";
  size_t start = text.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, std::min<size_t>(end - start + 1, 200));
}

pid_t Spawn(const std::string& command, int out_fd) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setpgid(0, 0);
  int null_fd = ::open("/dev/null", O_RDONLY);
  ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  ::close_range(3, ~0U, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  char path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env, nullptr};
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  ::execve(argv[0], const_cast<char**>(argv), envp);
  ::_exit(127);
}

}  // namespace

HealthCheck::HealthCheck(std::string command, int64_t interval_ms, int64_t timeout_ms)
    : command_(std::move(command)),
      interval_(std::max<int64_t>(interval_ms, 100)),
      timeout_ms_(timeout_ms) {
  if (!command_.empty()) thread_ = std::thread([this] { Loop(); });
}

HealthCheck::~HealthCheck() { Stop(); }

NodeHealth HealthCheck::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void HealthCheck::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthCheck::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    NodeHealth h = RunOnce(command_, timeout_ms_);
    lock.lock();
    if (h.healthy != current_.healthy) {
      if (h.healthy) {
        spdlog::info("health check passes again: the node takes new work");
      } else {
        spdlog::warn("health check failed: {}; the node takes no new work", h.message);
      }
    }
    current_ = h;
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

NodeHealth HealthCheck::RunOnce(const std::string& command, int64_t timeout_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {false, std::string("pipe: ") + std::strerror(errno)};
  pid_t pid = Spawn(command, fds[1]);
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return {false, std::string("fork: ") + std::strerror(errno)};
  }
  std::string output;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool timed_out = false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > 65536) output.erase(0, output.size() - 4096);
  }
  ::close(fds[0]);
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return {false, "health check timed out after " + std::to_string(timeout_ms / 1000) + " s"};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, ""};
  std::string line = LastLine(output);
  std::string how = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  return {false, "health check failed (" + how + ")" + (line.empty() ? "" : ": " + line)};
}

}  // namespace fastgpu::agent
