// The supervisor as a test binary: `fg_test_supervisor DIR` (the real one is `fastgpu supervise`).
#include "agent/runner/supervisor.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  return fastgpu::agent::RunSupervisor(argv[1]);
}
