// `fastgpu-supervise DIR`: the supervisor of one attempt (agent/runner/supervisor.h) as a binary
// of its own. One runs per running job, so it carries only the supervisor: no HTTP, no
// database, no logging library. `fastgpu supervise DIR` does the same from the big binary.
// `fastgpu-supervise --launcher` is the resident process that forks them instead
// (agent/runner/supervisor_launcher.h).
#include <cstdio>
#include <cstring>

#include "agent/runner/supervisor.h"
#include "agent/runner/supervisor_launcher.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: fastgpu-supervise ATTEMPT_DIR | --launcher (started by fastgpu agent)\n");
    return 2;
  }
  if (std::strcmp(argv[1], fastgpu::agent::kLauncherFlag) == 0) {
    return fastgpu::agent::RunLauncher();
  }
  return fastgpu::agent::RunSupervisor(argv[1]);
}
