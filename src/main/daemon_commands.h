#pragma once
// The daemon subcommands of `fastgpu`: server, agent, up, and the hidden supervise.
#include <CLI/CLI.hpp>

namespace fastgpu::main {

// Adds the subcommands; the one that runs stores its exit code in exit_code.
void RegisterDaemonCommands(CLI::App& app, int& exit_code);

}  // namespace fastgpu::main
