#pragma once
// What the user typed after `fastgpu run`, and its translation into a submit request.
// Pure functions, no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "cli/api_types.h"
#include "common/result.h"

namespace fastgpu::cli {

// The flags of `fastgpu run` as typed; an empty string means "not given".
struct RunOptions {
  std::string gpus;                     // --gpus: "2" or "0.25"
  std::string gpu_memory;               // --gpu-memory: "10GiB"
  std::string cpus;                     // --cpus: "2" or "0.5"
  std::string memory;                   // --memory: "16GiB"
  std::string nodes;                    // --nodes: integer >= 1; > 1: the resources per node
  std::string priority;                 // --priority: integer
  std::string name;                     // --name; default: the command's base name
  std::vector<std::string> env;         // --env K=V, repeatable
  std::vector<std::string> gpu_models;  // --gpu-model M, repeatable
  std::string workdir;                  // --workdir
  std::string max_retries;              // --max-retries: integer
  std::string time_limit;               // --time-limit: seconds
  std::string stop_signal;              // --stop-signal: SIGUSR1 (the server checks the name)
  bool keep_outputs = false;            // --keep-outputs
  std::string array;                    // --array: "0-99%8" (the server checks it)
  std::vector<std::string> after;       // --after ok:12,13 / any:14, repeatable
  std::vector<std::string> argv;        // the command after `--`
};

// The JSON body of POST /v1/jobs for `options` (docs/api/protocol.md): argv, name, env,
// workdir, and a "resources" object holding only the quantities given (gpus as a number:
// 2 or 0.25; gpu_memory_mib; cpus; memory_mib; gpu_models; nodes), priority, max_retries and
// time_limit_s, stop_signal, keep_outputs and array when given, and "dependencies"
// ([{"kind":"ok","job":12}...]) from every --after (common/dependency.h; "--after ok:abc" is
// InvalidArgument field "--after" that says how to write it). Returns InvalidArgument whose field is the flag at fault
// ("--gpus", "--env", ...) and whose message starts with the value typed, e.g.
// field "--gpus", message "1.5: more than one GPU must be a whole number; ...";
// an empty command gives field "command".
Result<std::string> BuildSubmitBody(const RunOptions& options);

// Parses a job ID as typed on the command line: a positive decimal integer. Otherwise
// InvalidArgument "ID must be a job number, got 'x'" (field "ID").
Result<int64_t> ParseJobId(const std::string& text);

// The exit status `fastgpu run` returns for an ended job, as a shell reports a local command:
// its exit code; 128 + N when signal N ended it; 130 when it was cancelled; 127 when it
// failed without an exit code or signal (it could not be started, or was lost with its node);
// 1 when it failed with exit code 0 (e.g. time limit). Returns 1 for a job that has not ended.
int ExitCodeForJob(const Job& job);

}  // namespace fastgpu::cli
