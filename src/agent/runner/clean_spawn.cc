#include "agent/runner/clean_spawn.h"

#include <spawn.h>

namespace fastgpu::agent {

int SpawnClean(std::vector<std::string> args, const std::array<StdioSource, 3>& stdio,
               const sigset_t& mask, pid_t* pid) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  for (int target = 0; target < 3; ++target) {
    const StdioSource& s = stdio[static_cast<size_t>(target)];
    if (s.fd >= 0) {
      posix_spawn_file_actions_adddup2(&files, s.fd, target);
    } else {
      posix_spawn_file_actions_addopen(&files, target, s.path, s.flags, 0);
    }
  }
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  char path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env, nullptr};
  int err = ::posix_spawn(pid, argv[0], &files, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  return err;
}

}  // namespace fastgpu::agent
