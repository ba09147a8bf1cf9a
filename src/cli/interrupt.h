#pragma once
// InterruptWatcher: turns Ctrl-C (SIGINT) into an event a thread can wait for.
//
// While one exists, the first SIGINT is caught and reported through Wait(); the handler resets
// itself (SA_RESETHAND), so a second Ctrl-C kills the process as usual. The handler only writes
// one byte to a pipe (async-signal-safe). A process that started with SIGINT ignored keeps
// ignoring it. At most one InterruptWatcher may exist at a time;
// the destructor restores the previous SIGINT disposition. Wait() and Wake() may be called
// from different threads.

#include <memory>

#include "common/result.h"

namespace fastgpu::cli {

class InterruptWatcher {
 public:
  enum class Event { kInterrupted, kWoken, kTimeout };

  // Installs the SIGINT handler. Internal when the pipe or sigaction fails, or when another
  // watcher exists.
  static Result<std::unique_ptr<InterruptWatcher>> Install();
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // Blocks until SIGINT arrives (kInterrupted, reported once per signal), Wake() is called
  // (kWoken; stays woken), or `timeout_ms` passes (kTimeout; negative waits forever).
  Event Wait(int timeout_ms);

  // Makes the current and every later Wait() return kWoken.
  void Wake();

 private:
  InterruptWatcher(int signal_read_fd, int wake_read_fd, int wake_write_fd);

  int signal_read_fd_;
  int wake_read_fd_;
  int wake_write_fd_;
};

}  // namespace fastgpu::cli
