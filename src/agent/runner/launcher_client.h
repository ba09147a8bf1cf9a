#pragma once
// LauncherClient: the agent's end of the supervisor launcher (supervisor_launcher.h). The
// launcher is started on the first Launch() and again after it was lost; it ends when this
// object is destroyed (the running supervisors do not). Not thread-safe: the runner calls it
// under its own mutex.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"

namespace fastgpu::agent {

class LauncherClient {
 public:
  // `command` runs the launcher (the supervisor binary and kLauncherFlag).
  explicit LauncherClient(std::vector<std::string> command) : command_(std::move(command)) {}
  ~LauncherClient();
  LauncherClient(const LauncherClient&) = delete;
  LauncherClient& operator=(const LauncherClient&) = delete;

  // Has a supervisor forked for the attempt folder `dir`; returns its pid. Unavailable when the
  // request could not be delivered to a launcher (none could be started: nothing was
  // started for `dir`, so the caller may start the supervisor another way); Internal when it
  // was delivered but no pid came back (a supervisor may exist: do not start another).
  Result<pid_t> Launch(const std::string& dir);

 private:
  Status Start();
  void Stop();
  Status Send(const std::string& dir);

  const std::vector<std::string> command_;
  int socket_ = -1;
  pid_t pid_ = 0;
};

}  // namespace fastgpu::agent
