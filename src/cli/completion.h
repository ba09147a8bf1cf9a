#pragma once
// Shell completion scripts for `fastgpu completion bash|zsh`, generated from a description
// of the commands (taken from the CLI11 app at run time, so they never go stale). Pure.

#include <string>
#include <vector>

namespace fastgpu::cli {

struct CompletionCommand {
  std::string name;
  std::string help;
  std::vector<std::string> flags;  // "--gpus", "-f", ...
};

struct CompletionSpec {
  std::vector<std::string> global_flags;  // flags valid before the command
  std::vector<CompletionCommand> commands;
};

// A bash script defining _fastgpu and `complete -F _fastgpu fastgpu`: completes command
// names, then the chosen command's flags; files after -f/--file; bash|zsh after
// `completion`; folders for `poll`.
std::string BashCompletion(const CompletionSpec& spec);

// A zsh script (#compdef fastgpu) that works both from $fpath and when sourced.
std::string ZshCompletion(const CompletionSpec& spec);

}  // namespace fastgpu::cli
