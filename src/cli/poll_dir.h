#pragma once
// The folder layout of `fastgpu poll DIR`, the same as fast.ai's fastgpu uses:
//   DIR/to_run/NAME     scripts waiting; dropped here by the user
//   DIR/running/NAME    claimed by one poller and submitted as a job
//   DIR/complete/NAME   the job succeeded
//   DIR/fail/NAME       the job failed, was cancelled, or could not be submitted
//   DIR/out/NAME.stdout, NAME.stderr, NAME.exitcode   its output and exit status
//   DIR/out/NAME.jobid  the job ID (fastgpu's addition: lets a restarted poller adopt it)
// Several pollers may share one folder: a script is claimed by rename(2) from to_run to
// running, which exactly one of them wins. Output files are written to a temporary name and
// renamed into place, so a reader never sees a partial file. Not thread-safe; each poller
// process holds its own PollDir.

#include <string>
#include <vector>

#include "cli/run_options.h"
#include "common/result.h"
#include "common/status.h"

namespace fastgpu::cli {

class PollDir {
 public:
  explicit PollDir(std::string root) : root_(std::move(root)) {}

  // Creates DIR and its five subfolders when missing. Internal naming the path on failure.
  Status Prepare() const;

  // Names of the scripts in to_run, sorted; hidden files, and names ending in "~", ".tmp" or
  // ".swp" (editors' files) are left alone.
  std::vector<std::string> Waiting() const;

  // Names in running that have an out/NAME.jobid file, sorted.
  std::vector<std::string> RunningWithJob() const;

  // Moves to_run/NAME to running/NAME. True when this process won the script; false when it
  // was gone (another poller took it).
  bool Claim(const std::string& name) const;

  // Moves running/NAME back to to_run/NAME (after a transient submit failure).
  void Unclaim(const std::string& name) const;

  // Moves running/NAME to complete/NAME (`ok`) or fail/NAME. False when it is not in running
  // any more (another poller finished it first).
  bool Finish(const std::string& name, bool ok) const;

  // Writes out/NAME.SUFFIX (atomically) with `content`.
  Status WriteOut(const std::string& name, const std::string& suffix,
                  const std::string& content) const;

  // The text of out/NAME.SUFFIX, or NotFound.
  Result<std::string> ReadOut(const std::string& name, const std::string& suffix) const;

  // The text of running/NAME, or NotFound.
  Result<std::string> ReadScript(const std::string& name) const;

  // Absolute path of running/NAME (the path the job runs).
  std::string RunningPath(const std::string& name) const;

  const std::string& root() const { return root_; }

 private:
  std::string Path(const char* sub, const std::string& name) const;

  std::string root_;
};

// The job's resources from a header comment in the first 20 lines of `script`:
//   # fastgpu: --gpus 0.5 --gpu-memory 10GiB --name x --env K=V
// (flags as for `fastgpu run`: --gpus --gpu-memory --cpus --memory --priority --name --env
// --gpu-model --max-retries --time-limit, as "--flag value" or "--flag=value"). The result
// has no argv. No header: empty options. InvalidArgument naming the flag for an unknown flag
// or a flag without value.
Result<RunOptions> ParseScriptHeader(const std::string& script);

// The argv that runs the script at `path`: the interpreter of its "#!" line and its
// argument, then the path; "/bin/sh PATH" without a "#!" line.
std::vector<std::string> ScriptArgv(const std::string& script, const std::string& path);

}  // namespace fastgpu::cli
