#pragma once
// ExitWatcher: calls back as soon as one of the watched processes ends, so that the agent
// reports an attempt's end at once rather than at its next periodic report. It watches the
// attempts' supervisors (which write exit.json just before they end) through pidfds
// (pidfd_open, Linux 5.3+) on a thread of its own; where pidfds are missing it does nothing and
// the periodic report still sees every end. Safe for concurrent use.

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace fastgpu::agent {

class ExitWatcher {
 public:
  // `on_exit` runs on the watcher's thread, once per watched process that ends.
  explicit ExitWatcher(std::function<void()> on_exit);
  // Stops the thread and closes every pidfd.
  ~ExitWatcher();
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  // Watches exactly these processes from now on (those already watched stay watched; others
  // are dropped). A pid that is gone already triggers `on_exit` at once.
  void Watch(const std::vector<pid_t>& pids);

 private:
  void Loop();

  const std::function<void()> on_exit_;
  int wake_fd_ = -1;  // eventfd: the set changed, or stop
  std::mutex mu_;
  std::map<pid_t, int> fds_;  // pid -> pidfd; guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  std::thread thread_;
};

}  // namespace fastgpu::agent
