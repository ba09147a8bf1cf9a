#include "agent/exit_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <set>

namespace fastgpu::agent {
namespace {

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

ExitWatcher::ExitWatcher(std::function<void()> on_exit) : on_exit_(std::move(on_exit)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ >= 0) thread_ = std::thread([this] { Loop(); });
}

ExitWatcher::~ExitWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  for (auto& [pid, fd] : fds_) ::close(fd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ExitWatcher::Watch(const std::vector<pid_t>& pids) {
  if (wake_fd_ < 0) return;
  bool gone = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<pid_t> wanted(pids.begin(), pids.end());
    for (auto it = fds_.begin(); it != fds_.end();) {
      if (wanted.contains(it->first)) {
        ++it;
        continue;
      }
      ::close(it->second);
      it = fds_.erase(it);
    }
    for (pid_t pid : wanted) {
      if (pid <= 0 || fds_.contains(pid)) continue;
      const int fd = PidfdOpen(pid);
      if (fd >= 0) {
        fds_[pid] = fd;
      } else if (errno == ESRCH) {
        gone = true;  // ended before we looked
      }
    }
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof(one));
  if (gone) on_exit_();
}

void ExitWatcher::Loop() {
  while (true) {
    std::vector<pollfd> fds;
    std::vector<pid_t> pids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      fds.push_back(pollfd{wake_fd_, POLLIN, 0});
      for (const auto& [pid, fd] : fds_) {
        fds.push_back(pollfd{fd, POLLIN, 0});
        pids.push_back(pid);
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      uint64_t n = 0;
      (void)::read(wake_fd_, &n, sizeof(n));
    }
    bool ended = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = fds_.find(pids[i - 1]);
        if (it != fds_.end() && it->second == fds[i].fd) {
          ::close(it->second);
          fds_.erase(it);
          ended = true;
        }
      }
    }
    if (ended) on_exit_();
  }
}

}  // namespace fastgpu::agent
