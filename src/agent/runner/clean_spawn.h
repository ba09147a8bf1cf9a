#pragma once
// SpawnClean: posix_spawn of a helper of the agent (a supervisor, the supervisor launcher) with
// nothing of the agent in it: exactly the standard descriptors given, no other descriptor,
// default dispositions for the signals supervisors handle, the given signal mask (it survives
// exec), and PATH the only variable (no join token or other secret of the agent's environment).
//
// posix_spawn, not fork: glibc's clone(CLONE_VM|CLONE_VFORK) does not copy the multi-threaded
// agent's page tables (a fork of it cost more than the rest of a start).

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

namespace fastgpu::agent {

// One of the child's descriptors 0, 1, 2: a descriptor of ours to dup, or, when fd < 0, `path`
// opened with `flags`.
struct StdioSource {
  int fd = -1;
  const char* path = "/dev/null";
  int flags = 0;
};

// Returns 0 and sets *pid, or the errno of the failed spawn (also of a failed exec).
int SpawnClean(std::vector<std::string> args, const std::array<StdioSource, 3>& stdio,
               const sigset_t& mask, pid_t* pid);

}  // namespace fastgpu::agent
