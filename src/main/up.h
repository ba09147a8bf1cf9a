#pragma once
// `fastgpu up`: a one-node pool in one process (server + agent), with no setup.

#include <string>

namespace fastgpu::main {

struct UpOptions {
  std::string listen = "127.0.0.1:7400";
  std::string data_dir;   // empty: $XDG_DATA_HOME/fastgpu or ~/.local/share/fastgpu
  std::string simulate;   // empty: the machine's GPUs through NVML, else 4 simulated GPUs
};

// Starts the server and an agent on it, writes the client config, prints how to use the pool,
// and runs until SIGINT/SIGTERM. Returns the process exit code.
int RunUp(const UpOptions& options);

// The default data folder for `up`.
std::string DefaultDataDir();

}  // namespace fastgpu::main
