#pragma once
// Registration of the tenant commands of `fastgpu`: key (create/list/revoke), tenant
// (list/show/set), audit, whoami; and (cmd_usage.cc) usage and price.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/cmd.h"

namespace fastgpu::cli {

// Adds key, tenant, audit and whoami to `app`. `exit_code` as for RegisterClientCommands.
void RegisterAdminCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                           int& exit_code);

// Adds usage and price to `app` (cmd_usage.cc).
void RegisterUsageCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                           int& exit_code);

}  // namespace fastgpu::cli
