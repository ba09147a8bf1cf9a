// `fastgpu-supervise DIR`: the supervisor of one attempt (agent/runner/supervisor.h) as a binary
// of its own. One runs per running job, so it carries only the supervisor: no HTTP, no
// database, no logging library. `fastgpu supervise DIR` does the same from the big binary.
#include <cstdio>

#include "agent/runner/supervisor.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fastgpu-supervise ATTEMPT_DIR (started by fastgpu agent)\n");
    return 2;
  }
  return fastgpu::agent::RunSupervisor(argv[1]);
}
