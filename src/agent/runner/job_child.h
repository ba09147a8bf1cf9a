#pragma once
// The job's side of the supervisor's spawn: everything between the clone and execvpe(), in the
// order that keeps each step possible and safe:
//  1. default signal dispositions, an empty signal mask, its own process group;
//  2. joins the attempt's cgroup (limits and device rules apply to all it runs);
//  3. with private_tmp: a mount namespace of its own (mounts do not propagate back to the host)
//     in which /tmp is the job's tmp folder, /dev/shm a fresh tmpfs, /proc a new procfs that
//     shows only the job user's processes (hidepid), the agent's data folder is covered by an
//     empty tmpfs (nothing of the agent or of other jobs is there to see), and the job's own
//     folders are bound back at their paths where they lay under /tmp or the covered folder;
//  4. drops to the job's user: no supplementary groups, then gid, then uid (as root only);
//  5. chdir(workdir), as the job's user (so it gets only folders that user may enter);
//  6. stdin, stdout, stderr, then exec with exactly the spec's environment.
// A failing step writes "what: strerror" to error_pipe and exits 127, which the supervisor
// reports as the attempt's error.

#include <sys/types.h>

#include <string>
#include <vector>

#include "agent/cgroup/cgroup.h"

namespace fastgpu::agent {

// Everything the job child needs, prepared before fork.
struct ChildPlan {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "K=V"
  std::string workdir;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int error_pipe = -1;
  const cgroup::Group* group = nullptr;  // joined when set
  int64_t uid = -1;                      // -1: keep the supervisor's
  int64_t gid = -1;
  bool private_tmp = false;
  std::string tmp_dir;                    // private_tmp: mounted on /tmp
  std::vector<std::string> keep_visible;  // private_tmp: folders bound back at their paths
  std::vector<std::string> keep_if_present;  // the same, skipped when missing
  // private_tmp: a folder hidden under an empty tmpfs (the agent's data folder, or its highest
  // ancestor other users may not enter); kept folders below it are bound back. Empty: none.
  std::string cover_dir;
};

// Starts the job child running RunChild(plan) and returns its pid once it has exec'd or
// exited, or -1 with errno. The child shares the caller's memory until then (CLONE_VM |
// CLONE_VFORK, as posix_spawn does): no page tables to copy and no copy-on-write faults after,
// 0.1-0.2 ms a job on a 2-vCPU VM (bench/machine/spawn.c). Only for a single-threaded caller:
// the child uses its heap while it waits.
pid_t SpawnJobChild(const ChildPlan& plan);

[[noreturn]] void RunChild(const ChildPlan& plan);

}  // namespace fastgpu::agent
