// `fastgpu submit [-f job.yaml] [run flags] [-- command]`: submit and print the job ID.
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/job_spec.h"

namespace fastgpu::cli {
namespace {

Result<RunOptions> LoadOptions(const SubmitFlags& flags) {
  if (flags.file.empty()) {
    if (flags.options.argv.empty()) {
      return InvalidArgument(
          "no job given: pass -f job.yaml, or a command after --, e.g. fastgpu submit -- "
          "nvidia-smi",
          "-f");
    }
    return flags.options;
  }
  std::ifstream in(flags.file == "-" ? "/dev/stdin" : flags.file);
  if (!in) {
    return InvalidArgument(flags.file + ": cannot read the file; check the path", "-f");
  }
  std::ostringstream text;
  text << in.rdbuf();
  FG_ASSIGN_OR_RETURN(RunOptions spec, ParseJobSpec(text.str(), flags.file));
  return MergeRunOptions(std::move(spec), flags.options);
}

// On stderr, so that stdout stays the ID alone: "array 12: jobs 12, 13, ... (one per index),
// at most 8 running at once".
void PrintArraySummary(const Job& first) {
  std::string text = "array " + std::to_string(first.array_id) + ": jobs " +
                     std::to_string(first.id) + ", " + std::to_string(first.id + 1) +
                     ", ... (one per index)";
  if (first.array_limit > 0) {
    text += ", at most " + std::to_string(first.array_limit) + " running at once";
  }
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace

int SubmitCommand(const GlobalFlags& globals, const SubmitFlags& flags) {
  Result<RunOptions> options = LoadOptions(flags);
  if (!options.ok()) return ReportUsageError(options.error());
  Result<std::string> body = BuildSubmitBody(*options);
  if (!body.ok()) return ReportUsageError(body.error());
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Job> job = client->Submit(*body);
  if (!job.ok()) return ReportSubmitError(job.error());
  if (flags.json) {
    std::printf("%s\n", job->json.c_str());
  } else {
    std::printf("%" PRId64 "\n", job->id);  // an array's first task: the array's id
    if (job->array_id > 0) PrintArraySummary(*job);
  }
  return kExitOk;
}

}  // namespace fastgpu::cli
