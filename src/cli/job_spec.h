#pragma once
// Job spec files for `fastgpu submit -f job.yaml`: YAML in, RunOptions out. Pure functions
// (the caller reads the file); yaml-cpp's exceptions never leave this file.
//
// The format (every key optional except command):
//   name: train
//   command: python3 train.py --epochs 3     # a string runs under /bin/sh -c;
//                                            # a list is the argv: [python3, train.py]
//   env: {WANDB_MODE: offline}
//   workdir: /data/run1
//   resources: {gpus: 0.5, gpu_memory: 10GiB, cpus: 2, memory: 16GiB, gpu_models: [A100-80GB]}
//   priority: 10                             # -1000..1000
//   retries: 2                               # 0..100 (alias: max_retries)
//   time_limit: 2h                           # seconds, or a number with s, m, h or d
//   array: 0-99%8                            # a job array (as --array)
//   after: [ok:12, any:13]                   # dependencies (as --after): "ok:12,13" or a list
// Values follow the `fastgpu run` flags of the same meaning.

#include <string>

#include "cli/run_options.h"
#include "common/result.h"

namespace fastgpu::cli {

// Reads `yaml` (the text of the file `source`, used in messages). Returns InvalidArgument
// with field "-f" and a message "<source>: line L: KEY: problem; fix" for YAML syntax errors,
// unknown keys (the message lists the known ones), values of the wrong type, and values that
// BuildSubmitBody rejects (the message names the YAML key, not the flag).
Result<RunOptions> ParseJobSpec(const std::string& yaml, const std::string& source);

// `base` with every option given in `flags` (non-empty) put over it; env, gpu_models and
// after given in `flags` are appended to the file's. The command of `flags`, when given, replaces
// the file's.
RunOptions MergeRunOptions(RunOptions base, const RunOptions& flags);

}  // namespace fastgpu::cli
