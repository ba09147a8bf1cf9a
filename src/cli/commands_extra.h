#pragma once
// Internal to commands.cc and commands_extra.cc: the option set shared by `run`, `submit`,
// and the registration of submit, why, top, poll and completion.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cli/cmd.h"

namespace fastgpu::cli {

// Adds the job flags of `run` (--gpus ... --time-limit) to `cmd`, stored into `o`, which
// must outlive the parse.
void AddJobOptions(CLI::App* cmd, RunOptions& o);

// Adds submit, why, top, poll and completion to `app`. `exit_code` as for
// RegisterClientCommands.
void RegisterMoreCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                          int& exit_code);

// Makes CLI11's parse errors name the fix: an unexpected flag gets "did you mean --gpus?" from
// the chosen command's flags, and every error ends with "run `fastgpu CMD --help` ...".
void InstallFailureHints(CLI::App& app);

// The flag among `known` nearest to `typed` (edit distance at most 2, or one a prefix of the
// other), or "" when none is near.
std::string NearestFlag(const std::string& typed, const std::vector<std::string>& known);

}  // namespace fastgpu::cli
