// The supervisor as a test binary: `fg_test_supervisor DIR` (the real one is `fastgpu supervise`).
// `fg_test_supervisor --launcher` is the launcher (supervisor_launcher.h), as in the real one.
#include <cstring>

#include "agent/runner/supervisor.h"
#include "agent/runner/supervisor_launcher.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (std::strcmp(argv[1], fastgpu::agent::kLauncherFlag) == 0) {
    return fastgpu::agent::RunLauncher();
  }
  return fastgpu::agent::RunSupervisor(argv[1]);
}
