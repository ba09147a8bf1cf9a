#pragma once
// Operator commands of `fastgpu`: cordon, uncordon and drain a node, and a job's event history
// (`fastgpu events ID`). They speak the HTTP API only (docs/api/protocol.md).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/cmd.h"

namespace fastgpu::cli {

// Adds cordon, uncordon, drain and events to `app`. `exit_code` as for RegisterClientCommands.
void RegisterOperateCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                             int& exit_code);

}  // namespace fastgpu::cli
