#pragma once
// The supervisor's wait for its job: one poll loop over a signalfd and the job's stdout and
// stderr pipes, with the stop escalation and the time limit as deadlines. Single-threaded.

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "agent/runner/log_files.h"

namespace fastgpu::agent {

struct LoopConfig {
  pid_t job = 0;                  // the job's pid = its process group id
  int stop_signal = SIGTERM;      // sent on a stop request (SIGTERM to us) or the time limit
  int64_t kill_grace_ms = 10000;  // then SIGKILL
  int64_t time_limit_ms = 0;      // from now; 0: none
  int out_fd = -1;                // read ends of the job's stdout/stderr pipes (closed here)
  int err_fd = -1;
  LogWriter* out = nullptr;
  LogWriter* err = nullptr;
  // SIGKILLs every process of the job (its process group and its cgroup) without reaping any.
  // Called at the end of the grace period and once the main process has ended (so that
  // nothing holds the pipes).
  std::function<void()> kill_all;
};

struct LoopResult {
  int wait_status = 0;     // of the job's main process
  bool timed_out = false;  // the time limit stopped it
  std::string log_error;   // the first error writing its logs, if any
};

// Runs until the job's main process has ended and both pipes are drained (or, once it has
// ended, for at most ~2 s more while something keeps a pipe open). `handled` are the signals
// blocked in this process that it reads from a signalfd: SIGTERM, SIGINT, SIGQUIT, SIGHUP,
// SIGCHLD. Reaps every child that ends meanwhile (we are a subreaper).
LoopResult SuperviseJob(const LoopConfig& config, const sigset_t& handled);

}  // namespace fastgpu::agent
