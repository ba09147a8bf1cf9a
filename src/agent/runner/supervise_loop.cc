// The supervisor's poll loop (see supervise_loop.h).
#include "agent/runner/supervise_loop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>

namespace fastgpu::agent {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kDrainLimit{2000};
constexpr size_t kReadChunk = 64 * 1024;

class Loop {
 public:
  Loop(const LoopConfig& c, int sigfd) : c_(c), sigfd_(sigfd) {
    fds_[0] = c.out_fd;
    fds_[1] = c.err_fd;
    if (c.time_limit_ms > 0) limit_at_ = Clock::now() + milliseconds(c.time_limit_ms);
  }

  LoopResult Run() {
    while (!done_ || fds_[0] >= 0 || fds_[1] >= 0) {
      if (done_ && Clock::now() >= drain_until_) break;
      pollfd p[3] = {{sigfd_, POLLIN, 0}, {fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
      int n = ::poll(p, 3, TimeoutMs());
      if (n < 0 && errno != EINTR) break;
      if (n > 0 && (p[0].revents & POLLIN)) ReadSignals();
      for (int i = 0; i < 2; ++i) {
        if (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) Pump(i);
      }
      CheckDeadlines();
    }
    for (int& fd : fds_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    return result_;
  }

 private:
  int TimeoutMs() const {
    std::optional<Clock::time_point> next;
    auto consider = [&](const std::optional<Clock::time_point>& t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (!done_) {
      if (!stopping_) consider(limit_at_);
      if (!killed_) consider(kill_at_);
    } else {
      consider(drain_until_);
    }
    if (!next) return -1;
    auto left = std::chrono::duration_cast<milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left + 1, 0, 60000));
  }

  void Stop() {
    if (stopping_ || done_) return;
    stopping_ = true;
    ::kill(-c_.job, c_.stop_signal);
    if (c_.stop_signal != SIGKILL) kill_at_ = Clock::now() + milliseconds(c_.kill_grace_ms);
  }

  void ReadSignals() {
    signalfd_siginfo info;
    while (::read(sigfd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGTERM) {
        Stop();
      } else if ((sig == SIGINT || sig == SIGQUIT) && !done_) {
        ::kill(-c_.job, sig);
      } else if (sig == SIGCHLD) {
        Reap();
      }  // SIGHUP: ignored
    }
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != c_.job || done_) continue;
      done_ = true;
      result_.wait_status = status;
      c_.kill_all();  // stragglers would hold the pipes open
      drain_until_ = Clock::now() + kDrainLimit;
    }
  }

  void Pump(int i) {
    char buf[kReadChunk];
    ssize_t n = ::read(fds_[i], buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      ::close(fds_[i]);
      fds_[i] = -1;
      return;
    }
    LogWriter* w = i == 0 ? c_.out : c_.err;
    Status st = w->Append(std::string_view(buf, static_cast<size_t>(n)));
    if (!st.ok() && result_.log_error.empty()) result_.log_error = st.message();
  }

  void CheckDeadlines() {
    if (done_) return;
    auto now = Clock::now();
    if (!stopping_ && limit_at_ && now >= *limit_at_) {
      result_.timed_out = true;
      Stop();
    }
    if (!killed_ && kill_at_ && now >= *kill_at_) {
      killed_ = true;
      ::kill(-c_.job, SIGKILL);
      c_.kill_all();
    }
  }

  const LoopConfig& c_;
  const int sigfd_;
  int fds_[2] = {-1, -1};
  bool done_ = false;
  bool stopping_ = false;
  bool killed_ = false;
  std::optional<Clock::time_point> limit_at_;
  std::optional<Clock::time_point> kill_at_;
  Clock::time_point drain_until_;
  LoopResult result_;
};

}  // namespace

LoopResult SuperviseJob(const LoopConfig& config, const sigset_t& handled) {
  int sigfd = ::signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  Loop loop(config, sigfd);
  LoopResult r = loop.Run();
  if (sigfd >= 0) ::close(sigfd);
  return r;
}

}  // namespace fastgpu::agent
